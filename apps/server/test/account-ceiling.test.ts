import { and, eq, sql } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@bastion/api';
import { schema } from '@bastion/db';
import { post, startTestServer, STRONG_PASSWORD, type TestServer, uniqueEmail } from '../../../test/helpers/server.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp.ts';

let server: TestServer;
let smtp: TestSmtpServer;
const APP_ORIGIN = 'http://app.bastion.test';
/** Below the default (50) only to keep the file quick: every evaluated guess costs an argon2 hash. */
const CAP = 20;
const WRONG = 'wrong-password-123';
const NOTICE = /Many failed sign-ins/;

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({
    SMTP_URL: smtp.url,
    APP_ORIGIN,
    // Addresses come from X-Forwarded-For, so one test process can speak from many.
    TRUST_PROXY: 'loopback',
    LOGIN_ACCOUNT_FAILURE_CAP: String(CAP),
    // Hundreds of sign-ins at once wait for a connection rather than answering 503.
    DB_POOL_ACQUIRE_TIMEOUT_MS: '60000',
  });
});

/** Every device cookie handed out: like tokens, none may reach the logs. */
const deviceCookies: string[] = [];

afterAll(async () => {
  await server.close();
  await smtp.close();
  const logs = server.logs.join('');
  expect(deviceCookies.length).toBeGreaterThan(0);
  for (const cookie of deviceCookies) expect(logs).not.toContain(cookie.slice('bastion_device='.length));
});

let nextAddress = 0;
/** A fresh address each time: no per-address lockout or daily cap ever applies to one guess. */
const newAddress = () => {
  nextAddress++;
  return `198.18.${nextAddress >> 8}.${nextAddress & 255}`;
};

interface Browser {
  /** The Cookie header this browser sends (its device cookie), if any. */
  cookie?: string;
}

async function attempt(email: string, password: string, ip = newAddress(), browser: Browser = {}) {
  const headers: Record<string, string> = { 'x-forwarded-for': ip, ...(browser.cookie ? { cookie: browser.cookie } : {}) };
  return post(server, 'auth.login', { email, password, tokenDelivery: 'body' }, headers);
}

const reasonOf = (response: { json: unknown }) => (response.json as { error?: { data: { reason: string } } }).error?.data.reason;
const messageOf = (response: { json: unknown }) => (response.json as { error?: { message: string } }).error?.message;

/** The device cookie a response set, as the browser would send it back. */
function deviceCookieOf(response: { headers: Headers }): string {
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith('bastion_device='));
  if (!cookie) throw new Error('no device cookie was set');
  const value = cookie.split(';')[0]!;
  deviceCookies.push(value);
  return value;
}

async function register() {
  const email = uniqueEmail();
  const { user } = await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  return { email, userId: user.id };
}

/** A browser that has signed in to `email` once: it carries the device cookie. */
async function knownBrowser(email: string): Promise<Browser> {
  const response = await attempt(email, STRONG_PASSWORD);
  expect(response.status).toBe(200);
  return { cookie: deviceCookieOf(response) };
}

async function eventCount(userId: string, type: string) {
  const [row] = await server.deps.db
    .select({ n: sql<number>`count(*)::int` })
    .from(schema.securityEvents)
    .where(and(eq(schema.securityEvents.userId, userId), eq(schema.securityEvents.type, type)));
  return row!.n;
}

const noticesTo = (email: string) => smtp.received.filter((mail) => mail.to.includes(email) && NOTICE.test(mail.subject));

/** Long enough for the mail worker to deliver anything queued by requests that have all returned. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 2_000));

/** Fast-forward an hour and a second for the account's ceiling row: its window has ended. */
async function endWindow(email: string) {
  const t = schema.authThrottle;
  await server.deps.db
    .update(t)
    .set({ windowStartedAt: sql`${t.windowStartedAt} - interval '3601 seconds'`, lockedUntil: sql`${t.lockedUntil} - interval '3601 seconds'` })
    .where(eq(t.key, `login-account:${email}`));
}

describe('account ceiling', () => {
  it('defaults to 50 failures an hour', () => {
    const { lockout } = loadConfig({ NODE_ENV: 'test' }).auth;
    expect(lockout).toMatchObject({ accountFailureCap: 50, accountFailureWindowSeconds: 3600 });
  });

  it('200 parallel wrong guesses from 200 addresses: exactly the cap is evaluated; then new devices are refused, a known browser signs in', async () => {
    const { email, userId } = await register();
    const owner = await knownBrowser(email);

    const responses = await Promise.all(Array.from({ length: 200 }, () => attempt(email, WRONG)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(CAP);
    expect(statuses.filter((status) => status === 429)).toHaveLength(200 - CAP);
    expect(new Set(responses.filter((r) => r.status === 429).map(reasonOf))).toEqual(new Set(['account_throttled']));
    // Refusals happen before the password is looked at: only the cap's worth were ever checked.
    expect(await eventCount(userId, 'login_failed')).toBe(CAP);

    // The right password from a new address is refused too, with Retry-After and the way out.
    const stranger = await attempt(email, STRONG_PASSWORD);
    expect(stranger.status).toBe(429);
    expect(reasonOf(stranger)).toBe('account_throttled');
    expect(Number(stranger.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(Number(stranger.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
    expect(messageOf(stranger)).toMatch(/new device.*signed in with before.*reset your password/s);

    // The owner's browser, from yet another address, is not locked out.
    const signedIn = await attempt(email, STRONG_PASSWORD, newAddress(), owner);
    expect(signedIn.status).toBe(200);
    expect(deviceCookieOf(signedIn)).not.toBe(owner.cookie); // a fresh entry at each sign-in
  });

  it('emails the owner exactly once, with a plain reset link, and records one account_throttled event, however many failures cross the cap at once', async () => {
    const { email, userId } = await register();
    await Promise.all(Array.from({ length: 300 }, () => attempt(email, WRONG)));
    const mail = await smtp.waitFor(email, NOTICE);
    await settle();
    expect(noticesTo(email)).toHaveLength(1);
    expect(mail.text).toContain(`${APP_ORIGIN}/forgot-password`);
    expect(mail.html).toContain(`${APP_ORIGIN}/forgot-password`);
    // No live token minted by the attacker's guesses.
    expect(mail.text).not.toMatch(/token=|pr_[A-Za-z0-9_-]{20,}/);
    expect(mail.text).toMatch(/new devices is paused for up to 60 minutes/);
    expect(await eventCount(userId, 'account_throttled')).toBe(1);

    // Further refusals in the same window send nothing more.
    for (let i = 0; i < 3; i++) expect(reasonOf(await attempt(email, STRONG_PASSWORD))).toBe('account_throttled');
    await settle();
    expect(noticesTo(email)).toHaveLength(1);
    expect(await eventCount(userId, 'account_throttled')).toBe(1);
  });

  it('lifts when the window ends, and a new window that reaches the cap notifies again', async () => {
    const { email, userId } = await register();
    await Promise.all(Array.from({ length: CAP + 5 }, () => attempt(email, WRONG)));
    expect(reasonOf(await attempt(email, STRONG_PASSWORD))).toBe('account_throttled');
    await smtp.waitFor(email, NOTICE);

    await endWindow(email);
    expect((await attempt(email, STRONG_PASSWORD)).status).toBe(200);

    await Promise.all(Array.from({ length: CAP + 5 }, () => attempt(email, WRONG)));
    expect(reasonOf(await attempt(email, STRONG_PASSWORD))).toBe('account_throttled');
    const deadline = Date.now() + 15_000;
    while (noticesTo(email).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(noticesTo(email)).toHaveLength(2);
    expect(await eventCount(userId, 'account_throttled')).toBe(2);
  });

  it('failures from a trusted browser do not count toward the ceiling; it stays under the per-address lockout', async () => {
    const { email } = await register();
    const owner = await knownBrowser(email);
    // More than CAP failures from the trusted browser, 5 per address (each address locks after 5).
    for (let a = 0; a < CAP / 5 + 2; a++) {
      const ip = newAddress();
      for (let i = 0; i < 5; i++) expect((await attempt(email, WRONG, ip, owner)).status).toBe(401);
      const locked = await attempt(email, STRONG_PASSWORD, ip, owner);
      expect(locked.status).toBe(429);
      expect(reasonOf(locked)).toBe('account_locked');
    }
    // The account is not over its ceiling: a new device with the right password signs in.
    expect((await attempt(email, STRONG_PASSWORD)).status).toBe(200);
    expect(noticesTo(email)).toHaveLength(0);
  });

  it('a known browser over the ceiling still has only 5 guesses per address', async () => {
    const { email } = await register();
    const owner = await knownBrowser(email);
    await Promise.all(Array.from({ length: CAP + 1 }, () => attempt(email, WRONG)));
    const ip = newAddress();
    for (let i = 0; i < 5; i++) expect((await attempt(email, WRONG, ip, owner)).status).toBe(401);
    expect(reasonOf(await attempt(email, STRONG_PASSWORD, ip, owner))).toBe('account_locked');
    expect((await attempt(email, STRONG_PASSWORD, newAddress(), owner)).status).toBe(200);
  });

  it("trusts a browser only for the accounts it signed in to, and refuses a forged or altered device cookie", async () => {
    const victim = await register();
    const attacker = await register();
    const attackersBrowser = await knownBrowser(attacker.email);
    await Promise.all(Array.from({ length: CAP + 1 }, () => attempt(victim.email, WRONG)));

    expect(reasonOf(await attempt(victim.email, STRONG_PASSWORD, newAddress(), attackersBrowser))).toBe('account_throttled');
    const [entry] = attackersBrowser.cookie!.slice('bastion_device='.length).split('~');
    const swapped = { cookie: `bastion_device=${entry!.replace(attacker.userId, victim.userId)}` };
    expect(reasonOf(await attempt(victim.email, STRONG_PASSWORD, newAddress(), swapped))).toBe('account_throttled');
    const forged = { cookie: `bastion_device=${victim.userId}.${Math.floor(Date.now() / 1000)}.${'n'.repeat(22)}.${'m'.repeat(43)}` };
    expect(reasonOf(await attempt(victim.email, STRONG_PASSWORD, newAddress(), forged))).toBe('account_throttled');
  });

  it('one browser stays trusted for several accounts', async () => {
    const first = await register();
    const second = await register();
    const browser = await knownBrowser(first.email);
    const both = await attempt(second.email, STRONG_PASSWORD, newAddress(), browser);
    browser.cookie = deviceCookieOf(both);
    for (const account of [first, second]) await Promise.all(Array.from({ length: CAP + 1 }, () => attempt(account.email, WRONG)));
    for (const account of [first, second]) expect((await attempt(account.email, STRONG_PASSWORD, newAddress(), browser)).status).toBe(200);
  });

  it('refuses unknown emails identically after the cap, and mails no one', async () => {
    const ghost = uniqueEmail('ghost');
    const { email } = await register();
    const ghostStatuses = (await Promise.all(Array.from({ length: CAP + 10 }, () => attempt(ghost, WRONG)))).map((r) => r.status);
    await Promise.all(Array.from({ length: CAP + 10 }, () => attempt(email, WRONG)));
    expect(ghostStatuses.filter((status) => status === 401)).toHaveLength(CAP);
    const [unknown, known] = [await attempt(ghost, STRONG_PASSWORD), await attempt(email, STRONG_PASSWORD)];
    expect(unknown.status).toBe(known.status);
    expect(reasonOf(unknown)).toBe(reasonOf(known));
    expect(messageOf(unknown)).toBe(messageOf(known));
    await smtp.waitFor(email, NOTICE);
    await settle();
    expect(smtp.received.filter((mail) => mail.to.includes(ghost))).toHaveLength(0);
  });

  it('a password reset, the way out the mail offers, lifts the ceiling', async () => {
    const { email } = await register();
    await Promise.all(Array.from({ length: CAP + 1 }, () => attempt(email, WRONG)));
    expect(reasonOf(await attempt(email, STRONG_PASSWORD))).toBe('account_throttled');

    await post(server, 'auth.requestPasswordReset', { email }, { 'x-forwarded-for': newAddress() });
    const mail = await smtp.waitFor(email, /Reset your password/);
    const token = new RegExp(`${APP_ORIGIN}/reset-password\\?token=([A-Za-z0-9_-]+)`).exec(mail.text)?.[1];
    if (!token) throw new Error('no reset link');
    const newPassword = 'an-entirely-new-passphrase-77';
    await server.client().auth.resetPassword.mutate({ token, newPassword });
    expect((await attempt(email, newPassword)).status).toBe(200);
  });
});

describe('device cookie', () => {
  it('is httpOnly, SameSite=Strict, Path=/ and lives a year', async () => {
    const { email } = await register();
    const response = await attempt(email, STRONG_PASSWORD);
    const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith('bastion_device='));
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Strict/i);
    expect(line).toMatch(/Path=\//);
    expect(line).toMatch(/Max-Age=31536000/);
  });

  it('is not set by a wrong password, nor by the password step of a 2FA sign-in: only once the second factor is accepted', async () => {
    const { email, userId } = await register();
    const wrong = await attempt(email, WRONG);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie().filter((c) => c.startsWith('bastion_device='))).toHaveLength(0);

    await server.deps.db.update(schema.users).set({ emailVerifiedAt: sql`now()` }).where(eq(schema.users.id, userId));
    const session = await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
    if (session.status !== 'authenticated' || !session.accessToken) throw new Error('no tokens');
    const client = server.client({ accessToken: session.accessToken });
    const setup = await client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD });
    const code = async (offset = 0) => {
      while (Date.now() % 30_000 > 28_000) await new Promise((resolve) => setTimeout(resolve, 250));
      return new TOTP({ secret: Secret.fromBase32(setup.secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + offset * 30_000 });
    };
    await client.auth.twoFactor.enable.mutate({ password: STRONG_PASSWORD, code: await code(-1) });

    const passwordStep = await attempt(email, STRONG_PASSWORD);
    expect(passwordStep.status).toBe(200);
    expect(passwordStep.headers.getSetCookie().filter((c) => c.startsWith('bastion_device='))).toHaveLength(0);
    const { challengeId } = (passwordStep.json as { result: { data: { challengeId: string } } }).result.data;
    const secondStep = await post(server, 'auth.login2fa', { challengeId, code: await code(), tokenDelivery: 'body' }, { 'x-forwarded-for': newAddress() });
    expect(secondStep.status).toBe(200);
    const owner = { cookie: deviceCookieOf(secondStep) };

    // And that cookie is what lets the owner through once the account is at its ceiling.
    await Promise.all(Array.from({ length: CAP + 1 }, () => attempt(email, WRONG)));
    expect(reasonOf(await attempt(email, STRONG_PASSWORD))).toBe('account_throttled');
    const trusted = await attempt(email, STRONG_PASSWORD, newAddress(), owner);
    expect(trusted.status).toBe(200);
    expect((trusted.json as { result: { data: { status: string } } }).result.data.status).toBe('two_factor_required');
  });
});
