// pnpm dev: the embedded PostgreSQL (unless DATABASE_URL is set), migrations, the API with reload on
// change, and the Vite dev server with hot reload, which proxies /trpc to the API (same origin).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@bastion/api';
import { runMigrations } from '@bastion/db';

const WEB_PORT = Number(process.env.WEB_PORT ?? 5173);
// One mailbox key for the session: the API's reloads keep it, so an open mailbox page keeps working.
const env = {
  ...process.env,
  APP_ORIGIN: process.env.APP_ORIGIN ?? `http://localhost:${WEB_PORT}`,
  DEV_MAILBOX_KEY: process.env.DEV_MAILBOX_KEY ?? randomBytes(18).toString('base64url'),
};
const config = loadConfig(env);

let stopDatabase: (() => Promise<void>) | undefined;
let databaseUrl = config.db.url;
if (!databaseUrl) {
  // Started here rather than by the API, so that it survives the API's reloads.
  const { startEmbeddedPostgres } = await import('@bastion/db/embedded');
  const embedded = await startEmbeddedPostgres({ dataDir: config.db.embedded.dataDir, port: config.db.embedded.port });
  databaseUrl = embedded.url;
  stopDatabase = embedded.stop;
  console.log(`embedded PostgreSQL on port ${embedded.port}, data in ${embedded.dataDir}`);
}
await runMigrations(databaseUrl);

/**
 * The workspace's own sources: a plain --watch follows every imported file, node_modules/.pnpm
 * included, and restarted the API (a 502 in the open page) when a package there changed.
 */
const WATCHED = ['apps/server/src', 'packages/api/src', 'packages/db/src'];

const children: ChildProcess[] = [
  spawn(process.execPath, [...process.execArgv, ...WATCHED.flatMap((dir) => ['--watch-path', dir]), 'apps/server/src/main.ts'], {
    stdio: 'inherit',
    env: { ...env, DATABASE_URL: databaseUrl, MIGRATE_ON_START: 'false' },
  }),
  spawn('pnpm', ['--filter', '@bastion/web', 'exec', 'vite', '--port', String(WEB_PORT), '--strictPort'], {
    stdio: 'inherit',
    env: { ...env, API_PORT: String(config.http.port) },
  }),
];

/** The banner waits for the API: before it listens, the web page only gets proxy errors. */
async function apiListening(): Promise<boolean> {
  const url = `http://${config.http.host}:${config.http.port}/healthz`;
  for (;;) {
    if (children[0]!.exitCode !== null) return false;
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}


let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null)));
  await stopDatabase?.();
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
for (const child of children) child.once('exit', (code) => void stop(code ?? 1));

const mailbox = config.mail.smtpUrl ? '' : `  mail ${config.http.appOrigin}/dev/mailbox?key=${env.DEV_MAILBOX_KEY}\n`;
void apiListening().then((up) => up && console.log(`\n  Bastion dev\n  web  http://localhost:${WEB_PORT}\n  api  http://${config.http.host}:${config.http.port}/trpc\n${mailbox}`));
