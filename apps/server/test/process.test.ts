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
