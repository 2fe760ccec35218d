import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../../packages/api/src/features/auth/one-time-token.ts';
import { post, startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

/**
 * The `bastion_session` hint: a script-readable cookie that tells the web app a session may exist,
 * set and cleared together with the httpOnly token cookies, and carrying nothing secret.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

interface SetCookie {
  name: string;
  value: string;
  attributes: string[];
  raw: string;
}

function setCookies(headers: Headers): Map<string, SetCookie> {
  const parsed = headers.getSetCookie().map((raw) => {
    const [pair = '', ...attributes] = raw.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    return { name: pair.slice(0, separator), value: pair.slice(separator + 1), attributes, raw };
  });
  return new Map(parsed.map((cookie) => [cookie.name, cookie]));
}

const maxAgeOf = (cookie: SetCookie | undefined) => cookie?.attributes.find((attribute) => attribute.startsWith('Max-Age='));
const isCleared = (cookie: SetCookie | undefined) => cookie !== undefined && cookie.value === '' && /Expires=Thu, 01 Jan 1970/.test(cookie.raw);

/** Signs a new user in with cookie delivery; returns the Set-Cookie headers, the request Cookie header and the ids. */
async function cookieLogin() {
  const email = uniqueEmail('hint');
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  const login = await post(server, 'auth.login', { email, password: STRONG_PASSWORD });
  expect(login.status).toBe(200);
  const cookies = setCookies(login.headers);
  const cookieHeader = [...cookies.values()].map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  const userId = (login.json as { result: { data: { user: { id: string } } } }).result.data.user.id;
  const [session] = await server.deps.sql<{ id: string }[]>`select id from sessions where user_id = ${userId}`;
  return { cookies, cookieHeader, userId, sessionId: session!.id };
}

/** A cookie-authenticated POST, as the web app sends it (same origin). */
const cookiePost = (path: string, cookie: string, body: unknown = {}) => post(server, path, body, { cookie, origin: server.url });

describe('session hint cookie', () => {
  it('is set with the token cookies at login: script-readable, SameSite=Strict, the refresh cookie lifetime, no token or id', async () => {
    const { cookies, userId, sessionId } = await cookieLogin();
    const hint = cookies.get('bastion_session');
    const access = cookies.get('bastion_at');
    const refresh = cookies.get('bastion_rt');
    expect(hint).toBeDefined();
    expect(access?.attributes).toContain('HttpOnly');
    expect(refresh?.attributes).toContain('HttpOnly');
    expect(hint!.attributes).not.toContain('HttpOnly');
    expect(hint!.attributes).toEqual(expect.arrayContaining(['SameSite=Strict', 'Path=/']));
    expect(maxAgeOf(hint)).toBeDefined();
    expect(maxAgeOf(hint)).toBe(maxAgeOf(refresh));
    expect(hint!.value).toBe('1');
    for (const secret of [access!.value, refresh!.value, userId, sessionId]) expect(hint!.raw).not.toContain(secret);
  });

  it('is set again by a cookie refresh, with the new token cookies', async () => {
    const { cookieHeader } = await cookieLogin();
    const refreshed = await cookiePost('auth.refresh', cookieHeader);
    expect(refreshed.status).toBe(200);
    const cookies = setCookies(refreshed.headers);
    expect(cookies.get('bastion_session')?.value).toBe('1');
    expect(cookies.get('bastion_rt')?.value).toMatch(/^rt_/);
  });

  it('is not sent when tokens are delivered in the body', async () => {
    const email = uniqueEmail('hint');
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    const login = await post(server, 'auth.login', { email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
    expect(login.status).toBe(200);
    expect(setCookies(login.headers).has('bastion_session')).toBe(false);
  });

  it('is cleared with the token cookies on logout', async () => {
    const { cookieHeader } = await cookieLogin();
    const logout = await cookiePost('auth.logout', cookieHeader);
    expect(logout.status).toBe(200);
    const cookies = setCookies(logout.headers);
    for (const name of ['bastion_session', 'bastion_at', 'bastion_rt']) expect(isCleared(cookies.get(name)), name).toBe(true);
    expect(cookies.get('bastion_session')!.attributes).not.toContain('HttpOnly');
  });

  it('is cleared when logging out everywhere, but kept when only the other sessions end', async () => {
    const { cookieHeader } = await cookieLogin();
    const others = await cookiePost('auth.logoutAll', cookieHeader, { exceptCurrent: true });
    expect(others.status).toBe(200);
    expect(setCookies(others.headers).has('bastion_session')).toBe(false);
    const all = await cookiePost('auth.logoutAll', cookieHeader, {});
    expect(all.status).toBe(200);
    expect(isCleared(setCookies(all.headers).get('bastion_session'))).toBe(true);
  });

  it('is cleared when the current session is revoked from the sessions list', async () => {
    const { cookieHeader, sessionId } = await cookieLogin();
    const revoked = await cookiePost('auth.sessions.revoke', cookieHeader, { sessionId });
    expect(revoked.status).toBe(200);
    expect(isCleared(setCookies(revoked.headers).get('bastion_session'))).toBe(true);
  });

  it('is cleared by a failed refresh: an ended session, or no refresh cookie at all', async () => {
    const { cookieHeader, sessionId } = await cookieLogin();
    await server.deps.sql`update sessions set revoked_at = now() where id = ${sessionId}`;
    const ended = await cookiePost('auth.refresh', cookieHeader);
    expect(ended.status).toBe(401);
    expect(isCleared(setCookies(ended.headers).get('bastion_session'))).toBe(true);

    const hintOnly = await cookiePost('auth.refresh', 'bastion_session=1');
    expect(hintOnly.status).toBe(401);
    expect(isCleared(setCookies(hintOnly.headers).get('bastion_session'))).toBe(true);
  });

  it("is cleared by a password reset that ends this browser's own session, and only then", async () => {
    const own = await cookieLogin();
    const other = await cookieLogin();
    const resetWith = async (cookie: string) => {
      const token = await issueToken(server.deps.db, own.userId, 'reset_password', 3600);
      const reset = await cookiePost('auth.resetPassword', cookie, { token, newPassword: `${STRONG_PASSWORD}-${Math.random()}` });
      expect(reset.status).toBe(200);
      return setCookies(reset.headers);
    };
    const cookies = await resetWith(own.cookieHeader);
    for (const name of ['bastion_session', 'bastion_at', 'bastion_rt']) expect(isCleared(cookies.get(name)), name).toBe(true);
    // Another account signed in in this browser keeps its session and its cookies.
    expect((await resetWith(other.cookieHeader)).has('bastion_session')).toBe(false);
  });

  it('grants nothing: the hint alone does not authenticate', async () => {
    const response = await fetch(`${server.url}/trpc/auth.me`, { headers: { cookie: 'bastion_session=1' } });
    expect(response.status).toBe(401);
  });
});
