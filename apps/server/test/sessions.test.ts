import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@bastion/db';
import { post, refusalOf, startTestServer, STRONG_PASSWORD, type TestServer, uniqueEmail } from '../../../test/helpers/server.ts';

let server: TestServer;
const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0';

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

async function register(email = uniqueEmail()) {
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  return email;
}

async function login(email: string, userAgent = CHROME_LINUX) {
  const result = await server.client({ headers: { 'user-agent': userAgent } }).auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  if (result.status !== 'authenticated' || !result.accessToken || !result.refreshToken) throw new Error('no tokens');
  return { accessToken: result.accessToken, refreshToken: result.refreshToken, userId: result.user.id };
}

const me = (accessToken: string) => server.client({ accessToken }).auth.me.query();

describe('auth.sessions.list', () => {
  it('lists the live sessions with the current one marked and the device parsed', async () => {
    const email = await register();
    const laptop = await login(email, CHROME_LINUX);
    const other = await login(email, FIREFOX_MAC);
    await server.client({ accessToken: other.accessToken }).auth.logout.mutate();
    const third = await login(email, FIREFOX_MAC);

    const sessions = await server.client({ accessToken: laptop.accessToken }).auth.sessions.list.query();
    expect(sessions).toHaveLength(2); // the logged-out one is gone
    const current = sessions.filter((session) => session.current);
    expect(current).toHaveLength(1);
    expect(current[0]!.device).toBe('Chrome 120 on Linux');
    expect(sessions.find((session) => !session.current)!.device).toBe('Firefox 121 on macOS 14.1');
    expect(sessions[0]!.ip).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(sessions[0]!.createdAt)).not.toBeNaN();
    const fromThird = await server.client({ accessToken: third.accessToken }).auth.sessions.list.query();
    expect(fromThird.find((session) => session.current)!.device).toBe('Firefox 121 on macOS 14.1');
  });

  it('shows only the caller’s sessions', async () => {
    const mine = await login(await register());
    await login(await register());
    const sessions = await server.client({ accessToken: mine.accessToken }).auth.sessions.list.query();
    expect(sessions).toHaveLength(1);
  });
});

describe('auth.sessions.revoke', () => {
  it('ends another session of mine at once: its access and refresh tokens stop working', async () => {
    const email = await register();
    const a = await login(email);
    const b = await login(email);
    await me(b.accessToken); // cached as live in this instance
    const bSession = (await server.client({ accessToken: a.accessToken }).auth.sessions.list.query()).find((s) => !s.current)!;
    await expect(server.client({ accessToken: a.accessToken }).auth.sessions.revoke.mutate({ sessionId: bSession.id })).resolves.toEqual({ success: true });

    expect((await refusalOf(me(b.accessToken)))?.code).toBe('UNAUTHORIZED');
    expect((await refusalOf(server.client().auth.refresh.mutate({ refreshToken: b.refreshToken })))?.reason).toBe('invalid_refresh_token');
    await expect(me(a.accessToken)).resolves.toBeDefined();
    // Revoking it again: it no longer exists as a live session.
    expect((await refusalOf(server.client({ accessToken: a.accessToken }).auth.sessions.revoke.mutate({ sessionId: bSession.id })))?.code).toBe('NOT_FOUND');
  });

  it('answers NOT_FOUND for another user’s session and leaves it alive', async () => {
    const victim = await login(await register());
    await me(victim.accessToken);
    const victimSession = (await server.client({ accessToken: victim.accessToken }).auth.sessions.list.query())[0]!;
    const attacker = await login(await register());
    const data = await refusalOf(server.client({ accessToken: attacker.accessToken }).auth.sessions.revoke.mutate({ sessionId: victimSession.id }));
    expect(data).toMatchObject({ code: 'NOT_FOUND', reason: 'session_not_found' });
    await expect(me(victim.accessToken)).resolves.toBeDefined();
  });
});

describe('auth.logoutAll', () => {
  it('with exceptCurrent ends every other session and keeps this one', async () => {
    const email = await register();
    const keep = await login(email);
    const others = [await login(email), await login(email)];
    expect(await server.client({ accessToken: keep.accessToken }).auth.logoutAll.mutate({ exceptCurrent: true })).toEqual({ revoked: 2 });
    for (const other of others) expect((await refusalOf(me(other.accessToken)))?.code).toBe('UNAUTHORIZED');
    await expect(me(keep.accessToken)).resolves.toBeDefined();
  });

  it('without it ends every session, this one included', async () => {
    const email = await register();
    const sessions = [await login(email), await login(email)];
    expect(await server.client({ accessToken: sessions[0]!.accessToken }).auth.logoutAll.mutate()).toEqual({ revoked: 2 });
    for (const session of sessions) expect((await refusalOf(me(session.accessToken)))?.code).toBe('UNAUTHORIZED');
  });
});

describe('admin.users.disable', () => {
  async function admin() {
    const email = await register(uniqueEmail('admin'));
    await server.deps.db.update(schema.users).set({ role: 'admin' }).where(eq(schema.users.email, email));
    return login(email);
  }

  it('disables the account and kills all its sessions; the user cannot sign in again', async () => {
    const email = await register();
    const victim = [await login(email), await login(email)];
    await me(victim[0]!.accessToken);
    const { accessToken } = await admin();
    const result = await server.client({ accessToken }).admin.users.disable.mutate({ id: victim[0]!.userId, reason: 'support ticket 42' });
    expect(result).toEqual({ success: true, revokedSessions: 2 });
    for (const session of victim) expect((await refusalOf(me(session.accessToken)))?.code).toBe('UNAUTHORIZED');
    expect((await refusalOf(server.client().auth.login.mutate({ email, password: STRONG_PASSWORD })))?.reason).toBe('account_disabled');
  });

  it('is for administrators only, and an unknown user is NOT_FOUND', async () => {
    const user = await login(await register());
    const other = await login(await register());
    expect((await refusalOf(server.client({ accessToken: user.accessToken }).admin.users.disable.mutate({ id: other.userId, reason: 'support ticket 42' })))?.code).toBe('FORBIDDEN');
    await expect(me(other.accessToken)).resolves.toBeDefined();
    const { accessToken } = await admin();
    const missing = await refusalOf(server.client({ accessToken }).admin.users.disable.mutate({ id: '00000000-0000-4000-8000-000000000000', reason: 'support ticket 42' }));
    expect(missing?.code).toBe('NOT_FOUND');
  });
});

describe('auth.securityLog', () => {
  it('returns only my events, newest first, in keyset pages that neither skip nor repeat', async () => {
    const email = await register();
    for (let i = 0; i < 3; i++) await post(server, 'auth.login', { email, password: 'wrong-password-123' });
    const session = await login(email);
    await login(await register()); // someone else's events

    const client = server.client({ accessToken: session.accessToken });
    const all = await client.auth.securityLog.query({ limit: 100 });
    expect(all.items.map((item) => item.type)).toEqual(['login_succeeded', 'login_failed', 'login_failed', 'login_failed', 'user_registered']);
    expect(all.nextCursor).toBeNull();
    expect(all.items[0]).toMatchObject({ device: 'Chrome 120 on Linux', userAgent: CHROME_LINUX });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.auth.securityLog.query({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.items.map((item) => item.id));
  });

  it('refuses a forged cursor', async () => {
    const session = await login(await register());
    const data = await refusalOf(server.client({ accessToken: session.accessToken }).auth.securityLog.query({ cursor: 'bm90LWEtY3Vyc29y' }));
    expect(data).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_cursor' });
  });
});
