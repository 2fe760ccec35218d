import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startTestServer, TEST_ENV } from '../../../test/helpers/server.ts';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.ts');

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--experimental-strip-types', MAIN], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('process entry', () => {
  it('refuses to start on bad configuration, naming each bad variable', async () => {
    const proc = run({ NODE_ENV: 'production', PORT: 'x', DB_POOL_MAX: '-1' });
    expect(await proc.exited).toBe(1);
    for (const name of ['PORT', 'DB_POOL_MAX']) expect(proc.output()).toContain(name);
  });

  it('starts on the embedded database and shuts down cleanly on SIGTERM', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'bastion-proc-'));
    try {
      const proc = run({ ...TEST_ENV, LOG_LEVEL: 'info', PG_DATA_DIR: path.join(root, 'pg') });
      const deadline = Date.now() + 30_000;
      while (!/server listening/.test(proc.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = JSON.parse(proc.output().split('\n').find((line) => line.includes('server listening'))!).url as string;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('shutdown complete');
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request, then refuses new connections', async () => {
    const server = await startTestServer();
    const { port } = server;
    // A request whose body is still being sent when shutdown begins.
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/trpc/auth.login', headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"email":"nobody@example.com",');
      setTimeout(() => req.end('"password":"wrong-password-123"}'), 500);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = server.close();
    const readyDuringShutdown = await fetch(`${server.url}/readyz`).then((r) => r.status, () => 'refused');
    expect(['refused', 503]).toContain(readyDuringShutdown);
    const result = await inFlight;
    expect(result.status).toBe(401);
    expect(result.body).toContain('invalid_credentials');
    await closing;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('shutdown behind a load balancer (SHUTDOWN_DELAY_MS)', () => {
  it('answers /readyz 503 while it still serves, then stops accepting', async () => {
    const server = await startTestServer({ SHUTDOWN_DELAY_MS: '1500' });
    const closing = server.close();
    // The balancer's checks see the instance not ready; requests already routed here still succeed.
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/trpc/health.ping`)).status).toBe(200);
    await closing;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('tuneHeap (HEAP_GROWING_PERCENT)', () => {
  const PROCESS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/process.ts');
  // A live set, and garbage that lives long enough to be promoted: how far the heap grows past the
  // live set before each full collection is the growing factor.
  const workload = `
    import { getHeapStatistics } from 'node:v8';
    const { tuneHeap } = await import(${JSON.stringify(PROCESS)});
    tuneHeap({ runtime: { heapGrowingPercent: Number(process.env.PERCENT) } });
    const live = []; for (let i = 0; i < 200000; i++) live.push({ a: i, b: 'x' + i, c: [i] });
    let kept = []; let peak = 0;
    for (let round = 0; round < 3000; round++) {
      for (let i = 0; i < 1000; i++) kept.push({ v: i, s: 'y' + i, a: new Array(10).fill(i) });
      if (kept.length > 150000) kept = [];
      peak = Math.max(peak, getHeapStatistics().total_heap_size);
    }
    console.log(JSON.stringify({ peak, live: live.length }));`;
  const peakHeap = (percent: number) =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', workload], {
        env: { PATH: process.env.PATH, PERCENT: String(percent) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => (code === 0 ? resolve((JSON.parse(output) as { peak: number }).peak) : reject(new Error(`exit ${code}`))));
    });

  it('reaches V8 at run time: a small growing factor keeps the heap well below a large one', async () => {
    const [small, large] = await Promise.all([peakHeap(25), peakHeap(300)]);
    expect(small).toBeLessThan(large * 0.85);
  }, 60_000);
});

describe('the production process environment (PRODUCTION_PROCESS_ENV)', () => {
  const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

  it('is what `pnpm start` sets, each variable defaulting to the same value', async () => {
    const { PRODUCTION_PROCESS_ENV } = await import('../src/process-env.ts');
    const { readFileSync } = await import('node:fs');
    const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    expect(Object.keys(PRODUCTION_PROCESS_ENV).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(PRODUCTION_PROCESS_ENV)) expect(start).toContain(`${name}=\${${name}:-${value}}`);
  });

  // argon2 with the sign-in's parameters (m = 19 MiB), one hash at a time as the work gate runs
  // them on a small machine: libuv hands each to the next idle thread, so they rotate over its four.
  const hashing = `
    const { default: argon2 } = await import('argon2');
    const { readFileSync } = await import('node:fs');
    const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
    const hash = (password) => argon2.hash(password, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    await hash('warm-up-password-1');
    const before = rss();
    for (let i = 0; i < 12; i++) await hash('password-' + i);
    console.log(JSON.stringify({ retained: rss() - before }));`;
  const retainedAfterHashing = (env: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', hashing], {
        cwd: path.join(ROOT, 'packages/api'),
        env: { PATH: process.env.PATH, UV_THREADPOOL_SIZE: '4', ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => (code === 0 ? resolve((JSON.parse(output) as { retained: number }).retained) : reject(new Error(`exit ${code}`))));
    });

  it("keeps argon2's working memory in two arenas, not one per libuv thread", async () => {
    const { PRODUCTION_PROCESS_ENV } = await import('../src/process-env.ts');
    const [withDefaults, withProductionEnv] = await Promise.all([retainedAfterHashing({}), retainedAfterHashing({ ...PRODUCTION_PROCESS_ENV })]);
    const MiB = 1024 * 1024;
    // At most one more 19 MiB block than the warm-up left (the other arena's), against one per thread.
    expect(withProductionEnv).toBeLessThan(42 * MiB);
    expect(withProductionEnv).toBeLessThan(withDefaults - 15 * MiB);
  }, 60_000);
});
