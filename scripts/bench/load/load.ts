import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One autocannon run; `requests` are sent in turn on each connection. */
export interface LoadSpec {
  url: string;
  connections: number;
  durationSeconds: number;
  requests: LoadRequest[];
  /** Requests per second across all connections (open loop); unset: as fast as answers come. */
  overallRate?: number;
  /** Stop after this many responses instead of after `durationSeconds`. */
  amount?: number;
  timeoutSeconds?: number;
  /** Extra keep-alive connections opened first and held idle for the run (see loader.ts). */
  holdIdle?: number;
}

export interface LoadResult {
  /** Responses received within the run. */
  requests: number;
  /** Requests written; those neither answered nor failed were still in flight when the run stopped. */
  sent: number;
  seconds: number;
  rps: number;
  /** Milliseconds. */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Connection errors (refused, reset), timeouts included. */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** With `holdIdle`: how many idle connections were opened, and were still open at the end. */
  heldIdle?: { asked: number; opened: number; stillOpen: number };
}

const LOADER = fileURLToPath(new URL('./loader.ts', import.meta.url));

/** Runs autocannon in a child process; bounded by the run's own length plus a margin. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const limitMs = (spec.amount ? 120 : spec.durationSeconds + 30) * 1000 + (spec.timeoutSeconds ?? 10) * 1000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', LOADER, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`load process failed (exit ${code}): ${stderr.trim() || stdout.trim()}`));
      resolve(JSON.parse(line) as LoadResult);
    });
  });
}
