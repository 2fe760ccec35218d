import { eq, sql } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@bastion/db';
import { decrypt } from '../../../packages/api/src/lib/crypto/key-ring.ts';
import { post, refusalOf, startTestServer, STRONG_PASSWORD, type TestServer, uniqueEmail } from '../../../test/helpers/server.ts';

let server: TestServer;
/** Secrets and codes handled here: none may reach the logs. */
const secrets: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
  const logs = server.logs.join('');
  for (const secret of secrets) expect(logs).not.toContain(secret);
});

/** The code for the current step plus `offset`, never within 2 s of a step change (no flakiness at the edge). */
async function codeFor(secret: string, offset = 0): Promise<string> {
  while (Date.now() % 30_000 > 28_000) await new Promise((resolve) => setTimeout(resolve, 250));
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + offset * 30_000 });
}

async function signedInUser({ verified = true } = {}) {
  const email = uniqueEmail();
  const { user } = await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  if (verified) await server.deps.db.update(schema.users).set({ emailVerifiedAt: sql`now()` }).where(eq(schema.users.id, user.id));
  const login = await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  if (login.status !== 'authenticated' || !login.accessToken) throw new Error('no tokens');
  return { email, userId: user.id, accessToken: login.accessToken, client: server.client({ accessToken: login.accessToken }) };
}

async function withTwoFactor() {
  const user = await signedInUser();
  const setup = await user.client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD });
  secrets.push(setup.secret);
  const { recoveryCodes } = await user.client.auth.twoFactor.enable.mutate({ password: STRONG_PASSWORD, code: await codeFor(setup.secret, -1) });
  secrets.push(...recoveryCodes);
  return { ...user, secret: setup.secret, recoveryCodes };
}

/** The newest development-outbox mail to `to` with this subject, waiting for it to arrive. */
async function outboxMail(to: string, subject: string): Promise<{ text: string }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [mail] = await server.deps.db
      .select({ text: schema.mailOutbox.text })
      .from(schema.mailOutbox)
      .where(sql`${schema.mailOutbox.to} = ${to} and ${schema.mailOutbox.subject} = ${subject}`)
      .orderBy(sql`${schema.mailOutbox.createdAt} desc`)
      .limit(1);
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`no mail "${subject}" for ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function makeAdmin() {
  const admin = await signedInUser();
  await server.deps.db.update(schema.users).set({ role: 'admin' }).where(eq(schema.users.id, admin.userId));
  // The role is a claim of the access token: sign in again to carry it.
  const login = await server.client().auth.login.mutate({ email: admin.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  if (login.status !== 'authenticated' || !login.accessToken) throw new Error('no tokens');
  return { ...admin, client: server.client({ accessToken: login.accessToken }) };
}

async function challenge(email: string) {
  const result = await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  if (result.status !== 'two_factor_required') throw new Error('expected a 2FA challenge');
  return result.challengeId;
}

describe('setup and enable', () => {
  it('is for verified emails only (verifiedProcedure)', async () => {
    const user = await signedInUser({ verified: false });
    expect(await refusalOf(user.client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD }))).toMatchObject({ code: 'FORBIDDEN', reason: 'email_not_verified' });
  });

  it('gives a standard TOTP secret, URI and QR code, and stores the secret encrypted under the key ring', async () => {
    const user = await signedInUser();
    const setup = await user.client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD });
    secrets.push(setup.secret);
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits, base32
    const uri = new URL(setup.otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret: setup.secret, algorithm: 'SHA1', digits: '6', period: '30', issuer: 'Bastion' });
    expect(setup.qrCodeDataUrl).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);

    const [row] = await server.deps.db.select({ sealed: schema.userTwoFactor.secretEncrypted }).from(schema.userTwoFactor).where(eq(schema.userTwoFactor.userId, user.userId));
    expect(row!.sealed).toMatch(/^v1\.k?[A-Za-z0-9._-]+\./);
    expect(row!.sealed).not.toContain(setup.secret);
    expect(decrypt(server.deps.config.encryption.keys, row!.sealed, `totp:${user.userId}`)).toBe(setup.secret);
    // Not on until a code proves the app has it.
    expect(await user.client.auth.twoFactor.status.query()).toEqual({ enabled: false, recoveryCodesRemaining: 0 });
  });

  it('enables with a valid code only and returns 10 recovery codes, stored hashed', async () => {
    const user = await signedInUser();
    const setup = await user.client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD });
    secrets.push(setup.secret);
    const wrong = await refusalOf(user.client.auth.twoFactor.enable.mutate({ password: STRONG_PASSWORD, code: '000000' === (await codeFor(setup.secret)) ? '111111' : '000000' }));
    expect(wrong).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_two_factor_code' });
    const { recoveryCodes } = await user.client.auth.twoFactor.enable.mutate({ password: STRONG_PASSWORD, code: await codeFor(setup.secret) });
    secrets.push(...recoveryCodes);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const stored = await server.deps.db.select({ hash: schema.recoveryCodes.codeHash }).from(schema.recoveryCodes).where(eq(schema.recoveryCodes.userId, user.userId));
    expect(stored).toHaveLength(10);
    for (const code of recoveryCodes) expect(stored.map((row) => row.hash).join()).not.toContain(code);
    expect(await user.client.auth.twoFactor.status.query()).toEqual({ enabled: true, recoveryCodesRemaining: 10 });
    expect(await refusalOf(user.client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD }))).toMatchObject({ code: 'CONFLICT', reason: 'two_factor_already_enabled' });
    // The owner is told by email (the development outbox here).
    const deadline = Date.now() + 15_000;
    let notices: { subject: string }[] = [];
    while (notices.length === 0 && Date.now() < deadline) {
      notices = await server.deps.db
        .select({ subject: schema.mailOutbox.subject })
        .from(schema.mailOutbox)
        .where(sql`${schema.mailOutbox.to} = ${user.email} and ${schema.mailOutbox.subject} = 'Two-factor authentication is on'`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(notices).toHaveLength(1);
  });
});

describe('a session alone cannot turn 2FA on', () => {
  type Refusal = { status: number; json: unknown };
  const fieldErrorsOf = (response: Refusal) => (response.json as { error: { data: { code: string; reason: string; fieldErrors?: Record<string, string[]> } } }).error.data;

  it('setup needs the current password: missing or wrong is a 400 field error on `password`, and nothing is stored', async () => {
    const user = await signedInUser();
    const bearer = { authorization: `Bearer ${user.accessToken}` };
    const missing = await post(server, 'auth.twoFactor.setup', {}, bearer);
    expect(missing.status).toBe(400);
    expect(fieldErrorsOf(missing)).toMatchObject({ code: 'BAD_REQUEST', reason: 'validation_failed' });
    expect(fieldErrorsOf(missing).fieldErrors?.password).toBeDefined();

    const wrong = await post(server, 'auth.twoFactor.setup', { password: 'not-the-password-at-all' }, bearer);
    expect(wrong.status).toBe(400);
    expect(fieldErrorsOf(wrong)).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_password', fieldErrors: { password: ['The password is incorrect.'] } });
    expect(wrong.text).not.toMatch(/otpauth|secret/);
    const rows = await server.deps.db.select({ userId: schema.userTwoFactor.userId }).from(schema.userTwoFactor).where(eq(schema.userTwoFactor.userId, user.userId));
    expect(rows).toHaveLength(0);
  });

  it('enable needs the current password too: a wrong one keeps 2FA off and issues no recovery codes', async () => {
    const user = await signedInUser();
    const setup = await user.client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD });
    secrets.push(setup.secret);
    const code = await codeFor(setup.secret);
    const wrong = await post(server, 'auth.twoFactor.enable', { password: 'not-the-password-at-all', code }, { authorization: `Bearer ${user.accessToken}` });
    expect(wrong.status).toBe(400);
    expect(fieldErrorsOf(wrong)).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_password', fieldErrors: { password: ['The password is incorrect.'] } });
    expect(wrong.text).not.toMatch(/recoveryCodes/);
    expect(await user.client.auth.twoFactor.status.query()).toEqual({ enabled: false, recoveryCodesRemaining: 0 });
    const codes = await server.deps.db.select({ id: schema.recoveryCodes.id }).from(schema.recoveryCodes).where(eq(schema.recoveryCodes.userId, user.userId));
    expect(codes).toHaveLength(0);
    // The code was not spent on the refused attempt: with the password it turns 2FA on.
    const { recoveryCodes } = await user.client.auth.twoFactor.enable.mutate({ password: STRONG_PASSWORD, code });
    secrets.push(...recoveryCodes);
    expect(recoveryCodes).toHaveLength(10);
  });

  it('a password reset through the emailed link keeps 2FA on and tells the owner so', async () => {
    const user = await withTwoFactor();
    await server.client().auth.requestPasswordReset.mutate({ email: user.email });
    const resetMail = await outboxMail(user.email, 'Reset your password');
    const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(resetMail.text)?.[1];
    if (!token) throw new Error('no reset link');
    secrets.push(token);
    const newPassword = 'a-fresh-passphrase-after-reset-42';
    await server.client().auth.resetPassword.mutate({ token, newPassword });

    const login = await server.client().auth.login.mutate({ email: user.email, password: newPassword, tokenDelivery: 'body' });
    expect(login.status).toBe('two_factor_required');
    const notice = await outboxMail(user.email, 'Your password was changed');
    expect(notice.text).toMatch(/Two-factor authentication stayed on/);
    expect(notice.text).toMatch(/If this was not you, someone can read your email/);
    const [event] = await server.deps.db
      .select({ details: schema.securityEvents.details })
      .from(schema.securityEvents)
      .where(sql`${schema.securityEvents.userId} = ${user.userId} and ${schema.securityEvents.type} = 'password_reset'`);
    expect(event?.details).toMatchObject({ twoFactorKept: true });
  });
});

describe('admin.users.disableTwoFactor: the recovery path for a lost device and lost codes', () => {
  it('turns 2FA off, ends the user\'s sessions, mails the user and records the admin', async () => {
    const user = await withTwoFactor();
    const admin = await makeAdmin();
    const result = await admin.client.admin.users.disableTwoFactor.mutate({ id: user.userId, reason: 'support ticket 42' });
    expect(result).toEqual({ success: true, twoFactorWasOn: true, revokedSessions: 1 });

    expect((await refusalOf(user.client.auth.me.query()))?.code).toBe('UNAUTHORIZED');
    const login = await server.client().auth.login.mutate({ email: user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
    expect(login.status).toBe('authenticated');
    const rows = await server.deps.db.select({ id: schema.recoveryCodes.id }).from(schema.recoveryCodes).where(eq(schema.recoveryCodes.userId, user.userId));
    expect(rows).toHaveLength(0);

    const events = await server.deps.db
      .select({ details: schema.securityEvents.details })
      .from(schema.securityEvents)
      .where(sql`${schema.securityEvents.userId} = ${user.userId} and ${schema.securityEvents.type} = 'two_factor_disabled'`);
    expect(events).toEqual([{ details: { by: admin.userId, via: 'admin', revokedSessions: 1 } }]);
    const notice = await outboxMail(user.email, 'Two-factor authentication was turned off by an administrator');
    expect(notice.text).toMatch(/If you did not ask for this/);
    const audited = await server.deps.sql<{ actor_id: string; detail: Record<string, unknown> }[]>`
      select actor_id, detail from audit_log where action = 'user.two_factor_reset' and subject_id = ${user.userId}`;
    expect(audited).toEqual([{ actor_id: admin.userId, detail: { reason: 'support ticket 42', twoFactorWasOn: true, revokedSessions: 1 } }]);

    // Again: nothing left to turn off, nothing changes.
    expect(await admin.client.admin.users.disableTwoFactor.mutate({ id: user.userId, reason: 'support ticket 42' })).toEqual({ success: true, twoFactorWasOn: false, revokedSessions: 0 });
  });

  it('is for administrators only, not for the admin\'s own account, and an unknown user is NOT_FOUND', async () => {
    const user = await withTwoFactor();
    const other = await signedInUser();
    expect((await refusalOf(other.client.admin.users.disableTwoFactor.mutate({ id: user.userId, reason: 'support ticket 42' })))?.code).toBe('FORBIDDEN');
    expect(await user.client.auth.twoFactor.status.query()).toMatchObject({ enabled: true });
    const admin = await makeAdmin();
    expect(await refusalOf(admin.client.admin.users.disableTwoFactor.mutate({ id: admin.userId, reason: 'support ticket 42' }))).toMatchObject({ code: 'BAD_REQUEST', reason: 'cannot_reset_own_two_factor' });
    expect((await refusalOf(admin.client.admin.users.disableTwoFactor.mutate({ id: '00000000-0000-4000-8000-000000000000', reason: 'support ticket 42' })))?.code).toBe('NOT_FOUND');
  });
});

describe('sign-in with 2FA', () => {
  it('auth.login answers a challenge and no tokens; login2fa with a code answers like auth.login', async () => {
    const user = await withTwoFactor();
    const raw = await post(server, 'auth.login', { email: user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
    expect(raw.status).toBe(200);
    const data = (raw.json as { result: { data: Record<string, unknown> } }).result.data;
    expect(Object.keys(data).sort()).toEqual(['challengeId', 'status']);
    expect(data.status).toBe('two_factor_required');
    expect(raw.headers.get('set-cookie')).toBeNull();

    const code = await codeFor(user.secret);
    const done = await server.client().auth.login2fa.mutate({ challengeId: String(data.challengeId), code, tokenDelivery: 'body' });
    expect(done.status).toBe('authenticated');
    if (done.status !== 'authenticated') return;
    expect(done.user.email).toBe(user.email);
    await expect(server.client({ accessToken: done.accessToken }).auth.me.query()).resolves.toBeDefined();

    // Cookie delivery works the same as auth.login's.
    const viaCookie = await post(server, 'auth.login2fa', { challengeId: await challenge(user.email), code: await codeFor(user.secret, 1) });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.headers.get('set-cookie')).toMatch(/bastion_at=/);
  });

  it('refuses a TOTP code that was already used, even on a new challenge', async () => {
    const user = await withTwoFactor();
    const code = await codeFor(user.secret);
    await server.client().auth.login2fa.mutate({ challengeId: await challenge(user.email), code });
    const replay = await refusalOf(server.client().auth.login2fa.mutate({ challengeId: await challenge(user.email), code }));
    expect(replay).toMatchObject({ code: 'UNAUTHORIZED', reason: 'invalid_two_factor_code' });
  });

  it('ten parallel uses of one code on ten challenges: exactly one signs in', async () => {
    const user = await withTwoFactor();
    const challenges: string[] = [];
    for (let i = 0; i < 10; i++) challenges.push(await challenge(user.email));
    const code = await codeFor(user.secret);
    const results = await Promise.allSettled(challenges.map((challengeId) => server.client().auth.login2fa.mutate({ challengeId, code })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('accepts a recovery code once', async () => {
    const user = await withTwoFactor();
    const [recovery] = user.recoveryCodes;
    const done = await server.client().auth.login2fa.mutate({ challengeId: await challenge(user.email), code: recovery!.toUpperCase(), tokenDelivery: 'body' });
    expect(done.status).toBe('authenticated');
    const again = await refusalOf(server.client().auth.login2fa.mutate({ challengeId: await challenge(user.email), code: recovery! }));
    expect(again).toMatchObject({ reason: 'invalid_two_factor_code' });
    expect(await user.client.auth.twoFactor.status.query()).toEqual({ enabled: true, recoveryCodesRemaining: 9 });
    const types = (await user.client.auth.securityLog.query({ limit: 50 })).items.map((item) => item.type);
    expect(types).toEqual(expect.arrayContaining(['two_factor_enabled', 'recovery_code_used', 'two_factor_failed']));
  });

  it('a challenge allows 5 tries, then even the right code needs a new sign-in', async () => {
    const user = await withTwoFactor();
    const challengeId = await challenge(user.email);
    for (let i = 0; i < 5; i++) {
      expect(await refusalOf(server.client().auth.login2fa.mutate({ challengeId, code: 'zzzz-zzzz-zzzz' }))).toMatchObject({ reason: 'invalid_two_factor_code' });
    }
    const sixth = await refusalOf(server.client().auth.login2fa.mutate({ challengeId, code: await codeFor(user.secret) }));
    expect(sixth).toMatchObject({ code: 'UNAUTHORIZED', reason: 'invalid_challenge' });
  });

  it('a challenge expires after 5 minutes and is used once', async () => {
    const user = await withTwoFactor();
    const used = await challenge(user.email);
    await server.client().auth.login2fa.mutate({ challengeId: used, code: await codeFor(user.secret) });
    expect(await refusalOf(server.client().auth.login2fa.mutate({ challengeId: used, code: user.recoveryCodes[0]! }))).toMatchObject({ reason: 'invalid_challenge' });

    const old = await challenge(user.email);
    await server.deps.db
      .update(schema.loginChallenges)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(schema.loginChallenges.id, old));
    expect(await refusalOf(server.client().auth.login2fa.mutate({ challengeId: old, code: user.recoveryCodes[1]! }))).toMatchObject({ reason: 'invalid_challenge' });
  });
});

describe('disable and regenerate', () => {
  it('disable needs the password and a code; sign-in is then one step again', async () => {
    const user = await withTwoFactor();
    const wrongPassword = await refusalOf(user.client.auth.twoFactor.disable.mutate({ password: 'not-the-password', code: user.recoveryCodes[0]! }));
    expect(wrongPassword).toMatchObject({ reason: 'invalid_password' });
    const wrongCode = await refusalOf(user.client.auth.twoFactor.disable.mutate({ password: STRONG_PASSWORD, code: 'aaaa-bbbb-cccc' }));
    expect(wrongCode).toMatchObject({ reason: 'invalid_two_factor_code' });
    await expect(user.client.auth.twoFactor.disable.mutate({ password: STRONG_PASSWORD, code: await codeFor(user.secret) })).resolves.toEqual({ success: true });
    const login = await server.client().auth.login.mutate({ email: user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
    expect(login.status).toBe('authenticated');
    expect(await user.client.auth.twoFactor.status.query()).toEqual({ enabled: false, recoveryCodesRemaining: 0 });
  });

  it('regenerating recovery codes voids the old ones', async () => {
    const user = await withTwoFactor();
    const { recoveryCodes } = await user.client.auth.twoFactor.regenerateRecoveryCodes.mutate({ code: await codeFor(user.secret) });
    secrets.push(...recoveryCodes);
    expect(recoveryCodes).not.toContain(user.recoveryCodes[0]);
    expect(await refusalOf(server.client().auth.login2fa.mutate({ challengeId: await challenge(user.email), code: user.recoveryCodes[0]! }))).toMatchObject({
      reason: 'invalid_two_factor_code',
    });
    const done = await server.client().auth.login2fa.mutate({ challengeId: await challenge(user.email), code: recoveryCodes[0]! });
    expect(done.status).toBe('authenticated');
  });
});
