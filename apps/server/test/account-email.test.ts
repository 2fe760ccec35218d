import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@bastion/db';
import { post, refusalOf, startTestServer, STRONG_PASSWORD, type TestServer, uniqueEmail } from '../../../test/helpers/server.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp.ts';

let server: TestServer;
let smtp: TestSmtpServer;
const APP_ORIGIN = 'http://app.bastion.test';
const NEW_PASSWORD = 'an-entirely-new-passphrase-77';

beforeAll(async () => {
  smtp = await startSmtpServer();
  // The account-email limits in force, everything else raised.
  const RATE_LIMITS = '*=100000/60,auth.requestPasswordReset=3/3600,auth.passwordResetEmail=3/3600,auth.verificationEmail=3/3600';
  server = await startTestServer({ SMTP_URL: smtp.url, APP_ORIGIN, TRUST_PROXY: 'loopback', JOB_RETRY_DELAY_S: '1', RATE_LIMITS });
});

afterAll(async () => {
  await server.close();
  await smtp.close();
});

let nextAddress = 1;
const newAddress = () => `198.51.100.${nextAddress++}`;

/** The token of the link in the newest mail to `to` whose subject matches. */
async function linkToken(to: string, subject: RegExp, path: string): Promise<string> {
  const before = smtp.received.filter((mail) => mail.to.includes(to) && subject.test(mail.subject)).length;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mails = smtp.received.filter((mail) => mail.to.includes(to) && subject.test(mail.subject));
    const mail = mails.at(-1);
    if (mail && mails.length >= Math.max(before, 1)) {
      const match = new RegExp(`${APP_ORIGIN}${path}\\?token=([A-Za-z0-9_-]+)`).exec(mail.text);
      if (!match?.[1]) throw new Error(`no ${path} link in: ${mail.text}`);
      expect(mail.html).toContain(`${APP_ORIGIN}${path}?token=${match[1]}`);
      return match[1];
    }
    if (Date.now() > deadline) throw new Error(`no mail "${subject}" for ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function mailCount(to: string, subject: RegExp) {
  return smtp.received.filter((mail) => mail.to.includes(to) && subject.test(mail.subject)).length;
}

async function waitForCount(to: string, subject: RegExp, count: number) {
  const deadline = Date.now() + 15_000;
  while ((await mailCount(to, subject)) < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} mails "${subject}" for ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function login(email: string, password = STRONG_PASSWORD, ip = newAddress()) {
  const response = await post(server, 'auth.login', { email, password, tokenDelivery: 'body' }, { 'x-forwarded-for': ip });
  const token = (response.json as { result?: { data: { accessToken?: string } } }).result?.data.accessToken;
  return { status: response.status, token: token ?? '', response };
}

/** Each from its own address: the per-address limit is tested on its own. */
async function requestReset(email: string) {
  const response = await post(server, 'auth.requestPasswordReset', { email }, { 'x-forwarded-for': newAddress() });
  expect(response.status).toBe(200);
}

const me = (accessToken: string) => server.client({ accessToken }).auth.me.query();

describe('email verification', () => {
  it('registration mails a single-use link; verifying sets the flag and logs the event', async () => {
    const email = uniqueEmail();
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    const token = await linkToken(email, /Confirm your email/, '/verify-email');
    expect(token).toMatch(/^ev_[A-Za-z0-9_-]{43}$/); // 256 random bits
    const stored = await server.deps.db.select({ hash: schema.userTokens.tokenHash }).from(schema.userTokens);
    expect(stored.some((row) => row.hash === token)).toBe(false); // only hashes are stored

    const { token: accessToken } = await login(email);
    expect((await me(accessToken)).user.emailVerified).toBe(false);
    await expect(server.client().auth.verifyEmail.mutate({ token })).resolves.toEqual({ success: true });
    expect((await me(accessToken)).user.emailVerified).toBe(true);
    expect(await refusalOf(server.client().auth.verifyEmail.mutate({ token }))).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_token' });
    const log = await server.client({ accessToken }).auth.securityLog.query();
    expect(log.items.map((item) => item.type)).toContain('email_verified');
  });

  it('refuses an expired token and garbage', async () => {
    const email = uniqueEmail();
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    const token = await linkToken(email, /Confirm your email/, '/verify-email');
    await server.deps.db.update(schema.userTokens).set({ expiresAt: sql`now() - interval '1 second'` }).where(sql`true`);
    expect(await refusalOf(server.client().auth.verifyEmail.mutate({ token }))).toMatchObject({ reason: 'invalid_token' });
    expect(await refusalOf(server.client().auth.verifyEmail.mutate({ token: 'ev_nope' }))).toMatchObject({ reason: 'invalid_token' });
  });

  it('resendVerification mails a new link, is limited, and says when there is nothing to do', async () => {
    const email = uniqueEmail();
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    await waitForCount(email, /Confirm your email/, 1);
    const { token: accessToken } = await login(email);
    const client = server.client({ accessToken });
    for (let i = 0; i < 3; i++) expect(await client.auth.resendVerification.mutate()).toEqual({ success: true, alreadyVerified: false });
    expect(await refusalOf(client.auth.resendVerification.mutate())).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'rate_limited' });
    await waitForCount(email, /Confirm your email/, 4);
    const token = await linkToken(email, /Confirm your email/, '/verify-email');
    await client.auth.verifyEmail.mutate({ token });
    expect(await client.auth.resendVerification.mutate()).toEqual({ success: true, alreadyVerified: true });
  });
});

describe('password reset', () => {
  it('answers the same for unknown emails and mails nothing', async () => {
    const ghost = uniqueEmail('ghost');
    const known = uniqueEmail();
    await server.client().auth.register.mutate({ email: known, password: STRONG_PASSWORD });
    const a = await post(server, 'auth.requestPasswordReset', { email: ghost }, { 'x-forwarded-for': newAddress() });
    const b = await post(server, 'auth.requestPasswordReset', { email: known }, { 'x-forwarded-for': newAddress() });
    expect(a.status).toBe(200);
    expect(a.text).toBe(b.text);
    await linkToken(known, /Reset your password/, '/reset-password');
    expect(await mailCount(ghost, /./)).toBe(0);
  });

  it('queues the same job for a known and an unknown address; the worker mails only the known one', async () => {
    const ghost = uniqueEmail('ghost');
    const known = uniqueEmail();
    await server.client().auth.register.mutate({ email: known, password: STRONG_PASSWORD });
    await requestReset(ghost);
    await requestReset(known);
    type Job = { name: string; data: Record<string, unknown>; state: string };
    const jobsFor = (email: string) => server.deps.sql<Job[]>`select name, data, state from pgboss.job where data->>'email' = ${email}`;
    const [ghostJob] = await jobsFor(ghost);
    const [knownJob] = await jobsFor(known);
    expect(ghostJob?.name).toBe('send-mail');
    expect(knownJob?.name).toBe(ghostJob?.name);
    expect(Object.keys(knownJob!.data).sort()).toEqual(Object.keys(ghostJob!.data).sort());
    expect(knownJob!.data.linkFor).toBe('password_reset');
    expect(ghostJob!.data.linkFor).toBe('password_reset');

    await linkToken(known, /Reset your password/, '/reset-password');
    const deadline = Date.now() + 15_000;
    while ((await jobsFor(ghost))[0]?.state !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await jobsFor(ghost))[0]?.state).toBe('completed'); // dropped by the worker, not failed
    expect(await mailCount(ghost, /./)).toBe(0);
  });

  it('a retried mail job sends one link: its token is minted once, not once per attempt', async () => {
    const email = uniqueEmail('retry');
    const { user } = await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    await waitForCount(email, /Confirm your email/, 1);
    const attemptsBefore = smtp.started();
    smtp.failNext(2);
    await requestReset(email);
    const token = await linkToken(email, /Reset your password/, '/reset-password');
    expect(smtp.started() - attemptsBefore).toBeGreaterThanOrEqual(3);
    const minted = await server.deps.db
      .select({ id: schema.userTokens.id })
      .from(schema.userTokens)
      .where(sql`${schema.userTokens.userId} = ${user.id} and ${schema.userTokens.purpose} = 'reset_password'`);
    expect(minted).toHaveLength(1);
    await expect(server.client().auth.resetPassword.mutate({ token, newPassword: NEW_PASSWORD })).resolves.toEqual({ success: true });
    const { token: accessToken } = await login(email, NEW_PASSWORD);
    const types = (await server.client({ accessToken }).auth.securityLog.query({ limit: 50 })).items.map((item) => item.type);
    expect(types.filter((type) => type === 'password_reset_requested')).toHaveLength(1);
  });

  it('resets once with the link, ends every session, unlocks sign-in and mails a notice', async () => {
    const email = uniqueEmail();
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    const sessions = [(await login(email)).token, (await login(email)).token];
    // Lock the pair for one address.
    const lockedIp = newAddress();
    for (let i = 0; i < 5; i++) await login(email, 'wrong-password-123', lockedIp);
    expect((await login(email, STRONG_PASSWORD, lockedIp)).status).toBe(429);
    await waitForCount(email, /Sign-in to your account was paused/, 1);

    await requestReset(email);
    const token = await linkToken(email, /Reset your password/, '/reset-password');
    expect(token).toMatch(/^pr_[A-Za-z0-9_-]{43}$/);
    await expect(server.client().auth.resetPassword.mutate({ token, newPassword: NEW_PASSWORD })).resolves.toEqual({ success: true });

    for (const session of sessions) expect(await refusalOf(me(session))).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await refusalOf(server.client().auth.resetPassword.mutate({ token, newPassword: `${NEW_PASSWORD}-again` }))).toMatchObject({ reason: 'invalid_token' });
    expect((await login(email, STRONG_PASSWORD)).status).toBe(401);
    const after = await login(email, NEW_PASSWORD, lockedIp); // unlocked by the reset
    expect(after.status).toBe(200);
    await waitForCount(email, /Your password was changed/, 1);
    const types = (await server.client({ accessToken: after.token }).auth.securityLog.query({ limit: 50 })).items.map((item) => item.type);
    expect(types).toEqual(expect.arrayContaining(['password_reset', 'password_reset_requested', 'account_locked']));
  });

  it('refuses an expired link, and a second link voids the first after use', async () => {
    const email = uniqueEmail();
    const { user } = await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    await requestReset(email);
    const first = await linkToken(email, /Reset your password/, '/reset-password');
    await requestReset(email);
    await waitForCount(email, /Reset your password/, 2);
    const second = await linkToken(email, /Reset your password/, '/reset-password');
    expect(second).not.toBe(first);
    await server.client().auth.resetPassword.mutate({ token: second, newPassword: NEW_PASSWORD });
    expect(await refusalOf(server.client().auth.resetPassword.mutate({ token: first, newPassword: NEW_PASSWORD }))).toMatchObject({ reason: 'invalid_token' });

    await requestReset(email);
    await waitForCount(email, /Reset your password/, 3);
    const third = await linkToken(email, /Reset your password/, '/reset-password');
    await server.deps.db
      .update(schema.userTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(schema.userTokens.userId, user.id));
    expect(await refusalOf(server.client().auth.resetPassword.mutate({ token: third, newPassword: `${NEW_PASSWORD}-x` }))).toMatchObject({ reason: 'invalid_token' });
  });

  it('ten parallel uses of one link: exactly one succeeds', async () => {
    const email = uniqueEmail();
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    await requestReset(email);
    const token = await linkToken(email, /Reset your password/, '/reset-password');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => server.client().auth.resetPassword.mutate({ token, newPassword: `${NEW_PASSWORD}-${i}` })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('is limited to 3 requests per hour per email', async () => {
    const email = uniqueEmail('limited');
    for (let i = 0; i < 3; i++) expect((await post(server, 'auth.requestPasswordReset', { email }, { 'x-forwarded-for': newAddress() })).status).toBe(200);
    const limited = await post(server, 'auth.requestPasswordReset', { email }, { 'x-forwarded-for': newAddress() });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('is limited to 3 requests per hour per address', async () => {
    const ip = newAddress();
    for (let i = 0; i < 3; i++) expect((await post(server, 'auth.requestPasswordReset', { email: uniqueEmail() }, { 'x-forwarded-for': ip })).status).toBe(200);
    expect((await post(server, 'auth.requestPasswordReset', { email: uniqueEmail() }, { 'x-forwarded-for': ip })).status).toBe(429);
  });
});

describe('auth.changePassword', () => {
  it('needs the current password, keeps this session, ends the others and mails a notice', async () => {
    const email = uniqueEmail();
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    const current = (await login(email)).token;
    const other = (await login(email)).token;
    const client = server.client({ accessToken: current });

    const wrong = await refusalOf(client.auth.changePassword.mutate({ currentPassword: 'not-my-password-1', newPassword: NEW_PASSWORD }));
    expect(wrong).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_current_password' });
    expect(wrong?.fieldErrors?.currentPassword).toBeDefined();
    const weak = await refusalOf(client.auth.changePassword.mutate({ currentPassword: STRONG_PASSWORD, newPassword: 'password1234' }));
    expect(weak?.fieldErrors?.newPassword).toBeDefined();

    expect(await client.auth.changePassword.mutate({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD })).toEqual({ success: true, revokedSessions: 1 });
    await expect(me(current)).resolves.toBeDefined();
    expect(await refusalOf(me(other))).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await login(email, NEW_PASSWORD)).status).toBe(200);
    await waitForCount(email, /Your password was changed/, 1);
  });
});

describe('one-time tokens in the job queue', () => {
  it('no table of the pgboss schema holds a mailed token, though the jobs are still there', async () => {
    const email = uniqueEmail('queue');
    const { user } = await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    const verifyToken = await linkToken(email, /Confirm your email/, '/verify-email');
    await requestReset(email);
    const resetToken = await linkToken(email, /Reset your password/, '/reset-password');

    const tables = await server.deps.sql<{ name: string }[]>`
      select table_name as name from information_schema.tables where table_schema = 'pgboss' and table_type = 'BASE TABLE'`;
    expect(tables.map((table) => table.name)).toContain('job');
    const rowsContaining = async (needle: string) => {
      let found = 0;
      for (const { name } of tables) {
        const [row] = await server.deps.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from pgboss."${name}" as t where t::text like $1`, [`%${needle}%`]);
        found += row?.n ?? 0;
      }
      return found;
    };
    // The search sees job data: both jobs (completed, kept for an hour) are found by what they do hold.
    expect(await rowsContaining(user.id)).toBeGreaterThan(0);
    expect(await rowsContaining(email)).toBeGreaterThan(0);
    expect(await rowsContaining(verifyToken)).toBe(0);
    expect(await rowsContaining(resetToken)).toBe(0);
    expect(await rowsContaining('token=')).toBe(0);
  });
});

describe('logs', () => {
  it('hold no password, token or link handled in this file', () => {
    const logs = server.logs.join('');
    expect(logs).not.toContain(NEW_PASSWORD);
    expect(logs).not.toMatch(/(ev|pr)_[A-Za-z0-9_-]{43}/);
    expect(logs).not.toContain('token=');
  });
});
