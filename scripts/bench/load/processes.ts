import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { PRODUCTION_PROCESS_ENV } from '@bastion/server/process-env';

/** Linux's USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every common kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface Service {
  name: string;
  url: string;
  pid: number;
  /** User + system CPU time the process has used so far, in microseconds. */
  cpuMicros(): number;
  rssBytes(): number;
  stop(): Promise<void>;
}

export function cpuMicrosOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it are space-separated.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

export function rssBytesOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const tail = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(-10).join('\n');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function stopper(child: ChildProcess, timeoutMs = 15_000): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

function service(name: string, url: string, child: ChildProcess): Service {
  const pid = child.pid!;
  return { name, url, pid, cpuMicros: () => cpuMicrosOf(pid), rssBytes: () => rssBytesOf(pid), stop: stopper(child) };
}

const key256 = () => randomBytes(32).toString('base64url');

/**
 * The production server's environment in a benchmark: fresh keys (the JWT secret shared, so one
 * token works on every server of the run), a throwaway database, nothing refused but everything
 * still counted in the store.
 */
export function benchServerEnv(options: { port: number; databaseUrl: string; jwtSecret: string; mailUrl: string; poolMax: number }): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    APP_ORIGIN: `http://127.0.0.1:${options.port}`,
    DATABASE_URL: options.databaseUrl,
    DB_POOL_MAX: String(options.poolMax),
    JWT_SECRETS: `bench:${options.jwtSecret}`,
    ENCRYPTION_KEYS: `bench:${key256()}`,
    REFRESH_TOKEN_SECRET: key256(),
    ACCESS_TOKEN_TTL_S: '3600', // the longest allowed: tokens outlive the run
    SMTP_URL: options.mailUrl,
    METRICS_TOKEN: randomBytes(24).toString('base64url'), // required in production
    AUDIT_CHECKPOINT_KEY: randomBytes(32).toString('base64'),
    RATE_LIMITS: '*=999999999/60',
    // A sign-in reserves its attempt before the password is checked, so more than LOCKOUT_THRESHOLD
    // concurrent sign-ins of one account from one address are refused (429) even when right:
    // the highest threshold lets S4's flood (≤ 100 connections) reach argon2 every time.
    LOCKOUT_THRESHOLD: '100',
    LOGIN_IP_DAILY_CAP: '1000000',
  };
}

/**
 * Starts the production server (`apps/server/src/main.ts`) with exactly `env` (plus PATH/HOME),
 * its output (pino JSON lines) appended to `logFile`; resolves once /healthz answers.
 */
export async function startProductionServer(options: {
  name: string;
  env: Record<string, string>;
  logFile: string;
  port: number;
  nodeArgs?: readonly string[];
  /** The entry point, from the repository root: the production `main.ts` unless a comparator says otherwise. */
  entry?: string;
}): Promise<Service> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--experimental-strip-types', '--no-warnings', options.entry ?? 'apps/server/src/main.ts'], {
    cwd: new URL('../../../', import.meta.url).pathname,
    // As `pnpm start` starts it (package.json): the allocator settings come before the server's own.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...PRODUCTION_PROCESS_ENV, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode} at start:\n${tail(options.logFile)}`);
    const ready = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return service(options.name, url, child);
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error(`${options.name} did not answer /healthz within 90 s; see ${options.logFile}`);
}

/** Starts `comparators.ts <kind>`; it prints its port as the first stdout line. */
export function startComparator(name: string, kind: string, env: Record<string, string>, nodeArgs: readonly string[] = []): Promise<Service> {
  const script = new URL('./comparators.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [...nodeArgs, '--experimental-strip-types', '--no-warnings', script, kind], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`comparator ${name} did not start within 30 s`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n')[0]!;
      if (!buffered.includes('\n')) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // later output is discarded, never left to fill the pipe
      try {
        const { port } = JSON.parse(line) as { port: number };
        resolve(service(name, `http://127.0.0.1:${port}`, child));
      } catch {
        reject(new Error(`comparator ${name} printed ${line}`));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`comparator ${name} exited with ${code}`));
    });
  });
}
