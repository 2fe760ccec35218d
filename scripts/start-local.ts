// pnpm start:local: the production path on this machine, for trying it without an SMTP server or
// secrets to hand. Builds the web app, generates the production keys once (kept in
// .data/local.env, mode 600, so sessions and encrypted secrets survive a restart), starts a local
// SMTP sink that prints every mail (links included) here, and runs `pnpm start` with
// NODE_ENV=production against the embedded PostgreSQL. Not for a real deployment.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 3000);
const keysFile = path.join(root, '.data/local.env');

/** `kid:base64` rings and plain base64 secrets, 256 bits each, as production requires. */
function generatedKeys(): Record<string, string> {
  const key = () => randomBytes(32).toString('base64');
  const kid = `local${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  return {
    JWT_SECRETS: `${kid}:${key()}`,
    ENCRYPTION_KEYS: `${kid}:${key()}`,
    REFRESH_TOKEN_SECRET: key(),
    AUDIT_CHECKPOINT_KEY: key(),
    METRICS_TOKEN: randomBytes(24).toString('base64url'),
  };
}

function localKeys(): Record<string, string> {
  if (existsSync(keysFile)) {
    const lines = readFileSync(keysFile, 'utf8').split('\n').filter((line) => line.includes('='));
    return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  }
  const keys = generatedKeys();
  mkdirSync(path.dirname(keysFile), { recursive: true });
  writeFileSync(keysFile, `${Object.entries(keys).map(([name, value]) => `${name}=${value}`).join('\n')}\n`, { mode: 0o600 });
  console.log(`generated production keys in ${path.relative(root, keysFile)} (delete it to start over)`);
  return keys;
}

/** Accepts every message on loopback and prints it: the mail a user would receive. */
async function startSmtpSink(): Promise<{ url: string; close: () => void }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const to = session.envelope.rcptTo.map((rcpt) => rcpt.address).join(', ');
          console.log(`\n── mail to ${to}: ${mail.subject ?? '(no subject)'}\n${(mail.text ?? '').trim()}\n──`);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  const smtpPort = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return { url: `smtp://127.0.0.1:${smtpPort}`, close: () => server.close() };
}

if (!process.argv.includes('--no-build')) {
  const build = spawnSync('pnpm', ['build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const smtp = await startSmtpSink();
const origin = process.env.APP_ORIGIN ?? `http://localhost:${port}`;
const server = spawn(process.execPath, ['--experimental-strip-types', 'apps/server/src/main.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...localKeys(), NODE_ENV: 'production', PORT: String(port), APP_ORIGIN: origin, SMTP_URL: smtp.url },
});
// Told once the server is ready, not before (until then the page would not load).
void (async () => {
  while (server.exitCode === null) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (server.exitCode === null) console.log(`\n  Bastion (production build, local trial)\n  app   ${origin}\n  mail  printed here (SMTP sink on ${smtp.url})\n`);
})();

const stop = () => server.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.once('exit', (code) => {
  smtp.close();
  process.exit(code ?? 1);
});
