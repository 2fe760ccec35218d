// encryption-rotation: the ENCRYPTION_KEYS sequence from docs/operations.md against real processes.
// Secrets sealed under "old" (TOTP, webhook secrets); the new ring `new,old` deployed; `pnpm
// keys:rotate` run while users keep rotating their webhook secrets (read, reseal, write); then
// "old" removed — every sealed secret still opens (2FA sign-in, webhook rotation), and no request
// failed along the way.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOTP } from 'otpauth';
import postgres from 'postgres';
import { STRONG_PASSWORD } from '../../test/helpers/server.ts';
import { check, drillDatabase, log, signUp, sleep, startDrillServer, summary, trpcPost, type Answer, type DrillDatabase, type DrillUser } from './harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OLD = `old:${randomBytes(32).toString('base64')}`;
const NEW = `new:${randomBytes(32).toString('base64')}`;

interface TwoFactorUser extends DrillUser {
  totp: TOTP;
  endpointId: string;
}

const data = <T>(answer: Answer) => (answer.body as { result: { data: T } }).result.data;

async function enrol(server: { url: string }, database: DrillDatabase): Promise<TwoFactorUser> {
  const user = await signUp(server);
  // Verifying by mail is another drill's business: mark the address verified as the link would.
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  await sql`update users set email_verified_at = now() where email = ${user.email}`;
  await sql.end();
  const setup = await trpcPost(server, 'auth.twoFactor.setup', { password: STRONG_PASSWORD }, user.authorization);
  check(setup.status === 200, `2FA setup: ${setup.status}`);
  const totp = new TOTP({ secret: data<{ secret: string }>(setup).secret });
  const enabled = await trpcPost(server, 'auth.twoFactor.enable', { password: STRONG_PASSWORD, code: totp.generate() }, user.authorization);
  check(enabled.status === 200, `2FA enable: ${enabled.status}`);
  const endpoint = await trpcPost(server, 'webhooks.endpoints.create', { url: 'http://127.0.0.1:9/bastion', events: ['contact.created'] }, user.authorization);
  check(endpoint.status === 200, `webhook endpoint: ${endpoint.status} ${JSON.stringify(endpoint.body)}`);
  return { ...user, totp, endpointId: data<{ id: string }>(endpoint).id };
}

/** A webhook secret rotation: opens the sealed secret (it becomes the previous one) and seals a new one. */
async function rotateWebhookSecret(server: { url: string }, user: TwoFactorUser): Promise<Answer> {
  return trpcPost(server, 'webhooks.endpoints.rotateSecret', { id: user.endpointId }, user.authorization);
}

/** A 2FA sign-in: opens the sealed TOTP secret. Codes are single use per time step, so it waits for a fresh step. */
async function signInWithTwoFactor(server: { url: string }, user: TwoFactorUser): Promise<Answer[]> {
  const login = await trpcPost(server, 'auth.login', { email: user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  if (login.status !== 200) return [login];
  const second = await trpcPost(server, 'auth.login2fa', { challengeId: data<{ challengeId: string }>(login).challengeId, code: user.totp.generate(), tokenDelivery: 'body' });
  return [login, second];
}

const nextTotpStep = () => sleep(30_000 - (Date.now() % 30_000) + 200);

function keysRotate(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['--silent', 'keys:rotate'], { cwd: root, env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl, ENCRYPTION_KEYS: `${NEW},${OLD}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

export async function encryptionRotation(): Promise<void> {
  const database = await drillDatabase();
  let server = await startDrillServer({ DATABASE_URL: database.url, WEBHOOK_ALLOW_PRIVATE: 'true', ENCRYPTION_KEYS: OLD });
  try {
    const users: TwoFactorUser[] = [];
    for (let i = 0; i < 3; i++) users.push(await enrol(server, database));
    log(`${users.length} users with 2FA and a webhook endpoint, sealed under "old"`);

    await server.stop();
    server = await startDrillServer({ DATABASE_URL: database.url, WEBHOOK_ALLOW_PRIVATE: 'true', ENCRYPTION_KEYS: `${NEW},${OLD}` });
    const answers: Answer[] = [];
    let rotating = true;
    const running = server;
    const load = Promise.all(
      users.map(async (user) => {
        while (rotating) answers.push(await rotateWebhookSecret(running, user));
      }),
    );
    const rotation = await keysRotate(database.url);
    rotating = false;
    await load;
    log(`keys:rotate (exit ${rotation.code}):\n${rotation.output.trim().replace(/^/gm, '    ')}`);
    check(rotation.code === 0, 'keys:rotate exits 0');
    check(/key ids in use: new\n/.test(rotation.output), 'afterwards only "new" is in use');
    check(/can be removed from ENCRYPTION_KEYS: old/.test(rotation.output), 'it says "old" can be removed');
    log(`requests during the rotation: ${summary(answers)}`);
    check(answers.length > 0 && answers.every((a) => a.status === 200), 'every webhook secret rotation during the key rotation succeeded');

    await server.stop();
    server = await startDrillServer({ DATABASE_URL: database.url, WEBHOOK_ALLOW_PRIVATE: 'true', ENCRYPTION_KEYS: NEW });
    const after: Answer[] = [];
    for (const user of users) after.push(await rotateWebhookSecret(server, user));
    // The enrolment used this step's code; a sign-in needs the next one.
    await nextTotpStep();
    for (const user of users) after.push(...(await signInWithTwoFactor(server, user)));
    log(`with "old" removed: ${summary(after)}`);
    check(after.every((a) => a.status === 200), 'with the old key gone, every TOTP and webhook secret still opens');
  } finally {
    await server.stop();
    await database.close();
  }
}
