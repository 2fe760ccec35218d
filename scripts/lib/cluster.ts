// N API instances (WORKERS=off), one `pnpm worker` and HAProxy in front of them on one port, over
// one database: what `pnpm cluster` runs and what the cluster drill tests through the balancer.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@bastion/db/embedded';
import { PRODUCTION_PROCESS_ENV } from '@bastion/server/process-env';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'apps/server/src/main.ts');
const WORKER = path.join(ROOT, 'apps/server/src/worker.ts');
export const HAPROXY_TEMPLATE = path.join(ROOT, 'ops/haproxy/haproxy.cfg.template');

/** HAProxy is the one hop in front of the instances (the template rewrites X-Forwarded-For). */
export const CLUSTER_TRUST_PROXY = '1';

export function haproxyBinary(): string {
  const candidates = [process.env.HAPROXY, '/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].filter(Boolean) as string[];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('haproxy not found: install it (Debian: apt-get install haproxy) or set HAPROXY to its path');
  return found;
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
  /** SIGTERM (or `signal`) and wait for the exit. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
  alive: () => boolean;
}

interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Resolves the start once the output matches. */
  ready: RegExp;
  onOutput?: (name: string, text: string) => void;
  timeoutMs?: number;
  /** In a process group of its own: a Ctrl-C at the terminal reaches only the parent, which stops it in order. */
  detached?: boolean;
}

export async function spawnManaged(options: SpawnOptions): Promise<ManagedProcess> {
  const child = spawn(options.command, options.args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached });
  let output = '';
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    options.onOutput?.(options.name, text);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!options.ready.test(output)) {
    if (!alive() || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    name: options.name,
    child,
    output: () => output,
    exited,
    alive,
    stop: async (signal = 'SIGTERM') => {
      if (alive()) child.kill(signal);
      await exited;
    },
  };
}

export interface Instance extends ManagedProcess {
  /** The instance's own address (bypassing the balancer). */
  url: string;
  port: number;
}

export interface ClusterOptions {
  databaseUrl: string;
  instances: number;
  /** The environment every process gets (the caller's, or the drills' test environment). */
  env: NodeJS.ProcessEnv;
  /** The balancer's port (0: a free one). */
  port?: number;
  host?: string;
  /** HAProxy's active check interval on /readyz. */
  checkIntervalMs?: number;
  worker?: boolean;
  onOutput?: (name: string, text: string) => void;
  /** Each process in its own process group (see `spawnManaged`); `pnpm cluster` stops them itself. */
  detached?: boolean;
}

export interface Cluster {
  /** The balancer: the one address clients use. */
  url: string;
  statsUrl: string;
  checkIntervalMs: number;
  instances: Instance[];
  worker?: ManagedProcess;
  haproxy: ManagedProcess;
  /** Starts instance `index` again (after a kill) on its port. */
  restartInstance(index: number): Promise<Instance>;
  /** HAProxy's view of each instance: `UP`, `DOWN`, … by server name. */
  backendStates(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** fall (2) × inter, plus one interval for a check already under way. */
export const shutdownDelayFor = (checkIntervalMs: number) => 3 * checkIntervalMs;

export function renderHaproxyConfig(values: { bind: string; statsBind: string; checkIntervalMs: number; servers: { name: string; address: string }[] }): string {
  const servers = values.servers.map((server) => `    server ${server.name} ${server.address} check`).join('\n');
  return readFileSync(HAPROXY_TEMPLATE, 'utf8')
    .replaceAll('{{BIND}}', values.bind)
    .replaceAll('{{STATS_BIND}}', values.statsBind)
    .replaceAll('{{CHECK_INTERVAL_MS}}', String(values.checkIntervalMs))
    .replaceAll('{{SHUTDOWN_DELAY_MS}}', String(shutdownDelayFor(values.checkIntervalMs)))
    .replace('{{SERVERS}}', servers);
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const host = options.host ?? '127.0.0.1';
  const checkIntervalMs = options.checkIntervalMs ?? 1000;
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    DATABASE_URL: options.databaseUrl,
    WORKERS: 'off',
    TRUST_PROXY: CLUSTER_TRUST_PROXY,
    MIGRATE_ON_START: 'false',
    HOST: '127.0.0.1',
    // Two failed checks take an instance out (`fall 2`): it keeps serving until they have.
    SHUTDOWN_DELAY_MS: String(shutdownDelayFor(checkIntervalMs)),
  };
  const started: ManagedProcess[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'bastion-cluster-'));
  const stopAll = async () => {
    // The instances drain behind the balancer (it routes around each as its readiness flips), then it goes.
    await Promise.all(started.filter((process) => process.name !== 'haproxy').map((process) => process.stop()));
    await Promise.all(started.map((process) => process.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await Promise.all(Array.from({ length: options.instances }, () => freePort()));
    const startInstance = async (index: number): Promise<Instance> => {
      const port = ports[index]!;
      const name = `api${index + 1}`;
      const process_ = await spawnManaged({
        name,
        command: process.execPath,
        args: ['--experimental-strip-types', MAIN],
        env: { ...PRODUCTION_PROCESS_ENV, ...env, PORT: String(port) },
        ready: /server listening/,
        onOutput: options.onOutput,
        detached: options.detached,
      });
      started.push(process_);
      return { ...process_, url: `http://127.0.0.1:${port}`, port };
    };
    const instances = await Promise.all(ports.map((_, index) => startInstance(index)));
    const worker =
      options.worker === false
        ? undefined
        : await spawnManaged({ name: 'worker', command: process.execPath, args: ['--experimental-strip-types', WORKER], env, ready: /worker started/, onOutput: options.onOutput, detached: options.detached });
    if (worker) started.push(worker);

    const port = options.port || (await freePort());
    const statsPort = await freePort();
    const configFile = path.join(dir, 'haproxy.cfg');
    writeFileSync(
      configFile,
      renderHaproxyConfig({
        bind: `${host}:${port}`,
        statsBind: `127.0.0.1:${statsPort}`,
        checkIntervalMs,
        servers: instances.map((instance) => ({ name: instance.name, address: `127.0.0.1:${instance.port}` })),
      }),
    );
    // -db: stay in the foreground, so Ctrl-C and the parent's exit reach it; -W: master-worker.
    // HAProxy prints nothing when it starts well: it is ready once its checks see the instances.
    const haproxy = await spawnManaged({ name: 'haproxy', command: haproxyBinary(), args: ['-W', '-db', '-f', configFile], env: { PATH: process.env.PATH }, ready: /(?:)/, onOutput: options.onOutput, detached: options.detached });
    started.push(haproxy);
    const statsUrl = `http://127.0.0.1:${statsPort}/stats`;
    const backendStates = async () => {
      const text = await (await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2000) })).text();
      const states: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const [proxy, server, ...rest] = line.split(',');
        if (proxy === 'api' && server && server !== 'BACKEND') states[server] = rest[15] ?? '';
      }
      return states;
    };
    // Ready when HAProxy's checks have seen every instance up.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await backendStates().catch(() => ({}) as Record<string, string>);
      if (instances.every((instance) => states[instance.name] === 'UP')) break;
      if (!haproxy.alive() || Date.now() > deadline) throw new Error(`HAProxy does not see every instance up: ${JSON.stringify(states)}\n${haproxy.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      url: `http://${host}:${port}`,
      statsUrl,
      checkIntervalMs,
      instances,
      worker,
      haproxy,
      async restartInstance(index) {
        instances[index] = await startInstance(index);
        return instances[index];
      },
      backendStates,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
