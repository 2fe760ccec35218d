import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorDataOf } from '@bastion/client';
import { schema } from '@bastion/db';
import { post, startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

let server: TestServer;

beforeAll(async () => {
  // Addresses come from X-Forwarded-For, so one test process can speak from many.
  server = await startTestServer({ TRUST_PROXY: 'loopback', LOGIN_IP_DAILY_CAP: '20' });
});

afterAll(async () => {
  await server.close();
});

let nextAddress = 1;
const newAddress = () => `203.0.113.${nextAddress++}`;

const attempt = (email: string, password: string, ip: string) =>
  post(server, 'auth.login', { email, password, tokenDelivery: 'body' }, { 'x-forwarded-for': ip });

const reasonOf = (response: { json: unknown }) => (response.json as { error?: { data: { reason: string } } }).error?.data.reason;

async function register() {
  const email = uniqueEmail();
  const { user } = await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  return { email, userId: user.id };
}

async function wrongPasswordEvents(userId: string) {
  const rows = await server.deps.db
    .select({ n: sql<number>`count(*)::int` })
    .from(schema.securityEvents)
    .where(sql`${schema.securityEvents.userId} = ${userId} and ${schema.securityEvents.type} = 'login_failed'`);
  return rows[0]!.n;
}

describe('lockout per account and address', () => {
  it('blocks the pair after 5 failures with 429, Retry-After and a recovery hint; the right password is refused too', async () => {
    const { email, userId } = await register();
    const ip = newAddress();
    for (let i = 0; i < 5; i++) expect((await attempt(email, 'wrong-password-123', ip)).status).toBe(401);
    const blocked = await attempt(email, STRONG_PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(reasonOf(blocked)).toBe('account_locked');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
    expect((blocked.json as { error: { message: string } }).error.message).toMatch(/15 minutes.*reset your password/s);
    const types = await server.client({ accessToken: await loginFrom(email, newAddress()) }).auth.securityLog.query({ limit: 20 });
    expect(types.items.map((item) => item.type)).toContain('account_locked');
    expect(await wrongPasswordEvents(userId)).toBe(5);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/bastion_security_events_total\{type="account_locked"\} [1-9]/);
    expect(metrics).toMatch(/bastion_security_events_total\{type="login_failed"\} [1-9]/);
  });

  it('50 parallel wrong passwords from one address: at most 5 are evaluated, the rest are refused', async () => {
    const { email, userId } = await register();
    const ip = newAddress();
    const responses = await Promise.all(Array.from({ length: 50 }, () => attempt(email, 'wrong-password-123', ip)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401).length).toBe(5);
    expect(statuses.filter((status) => status === 429).length).toBe(45);
    expect(await wrongPasswordEvents(userId)).toBe(5);
    expect((await attempt(email, STRONG_PASSWORD, ip)).status).toBe(429);
  });

  it('does not lock the owner out from another address', async () => {
    const { email } = await register();
    const attacker = newAddress();
    for (let i = 0; i < 6; i++) await attempt(email, 'wrong-password-123', attacker);
    expect((await attempt(email, STRONG_PASSWORD, attacker)).status).toBe(429);
    const owner = await attempt(email, STRONG_PASSWORD, newAddress());
    expect(owner.status).toBe(200);
  });

  it('a success resets the count of consecutive failures', async () => {
    const { email } = await register();
    const ip = newAddress();
    for (let i = 0; i < 4; i++) await attempt(email, 'wrong-password-123', ip);
    expect((await attempt(email, STRONG_PASSWORD, ip)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt(email, 'wrong-password-123', ip)).status).toBe(401);
    expect((await attempt(email, STRONG_PASSWORD, ip)).status).toBe(200);
  });

  it('lifts when the window has passed', async () => {
    const { email } = await register();
    const ip = newAddress();
    for (let i = 0; i < 6; i++) await attempt(email, 'wrong-password-123', ip);
    expect((await attempt(email, STRONG_PASSWORD, ip)).status).toBe(429);
    // Fast-forward: the block ended a second ago.
    await server.deps.db
      .update(schema.authThrottle)
      .set({ lockedUntil: sql`now() - interval '1 second'` })
      .where(eq(schema.authThrottle.key, `login:${email}|ip:${ip}`));
    expect((await attempt(email, STRONG_PASSWORD, ip)).status).toBe(200);
  });

  it('counts every address of one IPv6 /64 as one client: rotating inside it buys no fresh guesses', async () => {
    const { email } = await register();
    const statuses = [];
    for (let i = 1; i <= 12; i++) statuses.push((await attempt(email, 'wrong-password-123', `2001:db8:1:1::${i.toString(16)}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, ...Array(7).fill(429)]);
    expect((await attempt(email, STRONG_PASSWORD, '2001:db8:1:1:ffff::1')).status).toBe(429);
    // Another /64 is another client: the owner there is not locked out.
    expect((await attempt(email, STRONG_PASSWORD, '2001:db8:1:2::1')).status).toBe(200);
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const { email } = await register();
    const ip = newAddress();
    for (let i = 0; i < 3; i++) expect((await attempt(email, 'wrong-password-123', ip)).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await attempt(email, 'wrong-password-123', `::ffff:${ip}`)).status).toBe(401);
    expect((await attempt(email, STRONG_PASSWORD, ip)).status).toBe(429);
  });

  it('counts unknown emails too, so a lockout reveals nothing about which accounts exist', async () => {
    const ip = newAddress();
    const email = uniqueEmail('ghost');
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt(email, 'wrong-password-123', ip)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('daily cap per address', () => {
  it('refuses an address after its daily failures across accounts, and not other addresses', async () => {
    const ip = newAddress();
    for (let i = 0; i < 20; i++) expect((await attempt(uniqueEmail('spray'), 'wrong-password-123', ip)).status).toBe(401);
    const { email } = await register();
    const capped = await attempt(email, STRONG_PASSWORD, ip);
    expect(capped.status).toBe(429);
    expect(reasonOf(capped)).toBe('too_many_attempts_from_address');
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await attempt(email, STRONG_PASSWORD, newAddress())).status).toBe(200);
  });
});

describe('daily cap per IPv6 network', () => {
  it('counts a whole /56 together across its /64s', async () => {
    for (let i = 0; i < 20; i++) {
      const ip = `2001:db8:77:${(i % 200).toString(16)}::${(i + 1).toString(16)}`;
      expect((await attempt(uniqueEmail('spray6'), 'wrong-password-123', ip)).status).toBe(401);
    }
    const { email } = await register();
    const capped = await attempt(email, STRONG_PASSWORD, '2001:db8:77:ff::1');
    expect(reasonOf(capped)).toBe('too_many_attempts_from_address');
    expect((await attempt(email, STRONG_PASSWORD, '2001:db8:77:100::1')).status).toBe(200);
  });
});

describe('admin.users.unlock', () => {
  it('lifts the block from every address; only administrators may call it', async () => {
    const { email, userId } = await register();
    const ips = [newAddress(), newAddress()];
    for (const ip of ips) for (let i = 0; i < 6; i++) await attempt(email, 'wrong-password-123', ip);
    for (const ip of ips) expect((await attempt(email, STRONG_PASSWORD, ip)).status).toBe(429);

    const user = await loginFrom((await register()).email, newAddress());
    const refused = await server.client({ accessToken: user }).admin.users.unlock.mutate({ id: userId, reason: 'support ticket 42' }).catch((error: unknown) => errorDataOf(error));
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });

    const adminEmail = (await register()).email;
    await server.deps.db.update(schema.users).set({ role: 'admin' }).where(eq(schema.users.email, adminEmail));
    const admin = await loginFrom(adminEmail, newAddress());
    expect(await server.client({ accessToken: admin }).admin.users.unlock.mutate({ id: userId, reason: 'support ticket 42' })).toEqual({ success: true, clearedBlocks: 2 });
    for (const ip of ips) expect((await attempt(email, STRONG_PASSWORD, ip)).status).toBe(200);
  });
});

async function loginFrom(email: string, ip: string): Promise<string> {
  const response = await attempt(email, STRONG_PASSWORD, ip);
  const token = (response.json as { result?: { data: { accessToken?: string } } }).result?.data.accessToken;
  if (!token) throw new Error(`login failed: ${response.text}`);
  return token;
}
