// `pnpm dev` as a newcomer runs it: the banner comes only once the API answers, and the API
// reloads on a change in the workspace's sources but not on one inside node_modules/.pnpm.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '@bastion/db/embedded';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'bastion-dev-test-'));
let dev: ChildProcess;
let output = '';
let apiPort: number;

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  apiPort = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORT: String(apiPort), WEB_PORT: String(await freePort()), PG_DATA_DIR: path.join(dataDir, 'pg'), LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  // Its own process group: stopping it stops the API, Vite and the embedded database together.
  dev = spawn(process.execPath, ['--experimental-strip-types', 'scripts/dev.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
}, 10_000);

afterAll(async () => {
  if (dev.exitCode === null) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    dev.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    if (dev.exitCode === null && dev.pid) process.kill(-dev.pid, 'SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

const restarts = () => output.split("Restarting 'apps/server/src/main.ts'").length - 1;

it('prints the banner only once the API answers, and reloads it only for the workspace sources', async () => {
  await until('the banner', () => output.includes('Bastion dev'), 90_000);
  // The API's own "server listening" line comes first, and it answers at once.
  expect(output.indexOf('server listening')).toBeGreaterThan(-1);
  expect(output.indexOf('server listening')).toBeLessThan(output.indexOf('Bastion dev'));
  expect((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status).toBe(200);

  // A change inside node_modules/.pnpm (a package being installed meanwhile) to a file the API
  // imports leaves the API alone: only its mtime moves, the content stays.
  const imported = createRequire(path.join(root, 'apps/server/package.json')).resolve('pino');
  expect(imported).toContain(`${path.sep}.pnpm${path.sep}`);
  const now = new Date();
  utimesSync(imported, now, now);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(restarts()).toBe(0);

  // A change in a workspace source reloads it.
  const inside = path.join(root, 'packages/db/src/.bastion-dev-watch-probe');
  try {
    writeFileSync(inside, String(Date.now()));
    await until('the reload', () => restarts() === 1, 20_000);
  } finally {
    rmSync(inside, { force: true });
  }
  await until('the API back after the reload', async () => (await fetch(`http://127.0.0.1:${apiPort}/healthz`).catch(() => null))?.status === 200, 30_000);
}, 150_000);
