import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordComputations } from '@bastion/api';
import { failureOf, post, startTestServer, STRONG_PASSWORD, TEST_ENV, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

let server: TestServer;
/** Every password and token this file handles; none may appear in the server's logs. */
const secrets = new Set<string>();

beforeAll(async () => {
  server = await startTestServer({ REFRESH_GRACE_S: '2' });
});

afterAll(async () => {
  await server.close();
});

async function registerAndLogin(email = uniqueEmail()) {
  secrets.add(STRONG_PASSWORD);
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD, name: 'Test User' });
  const login = await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  if (login.status !== 'authenticated' || !login.accessToken || !login.refreshToken) throw new Error('body delivery returned no tokens');
  secrets.add(login.accessToken);
  secrets.add(login.refreshToken);
  return { email, accessToken: login.accessToken, refreshToken: login.refreshToken, user: login.user };
}

async function refresh(refreshToken: string) {
  const result = await server.client().auth.refresh.mutate({ refreshToken });
  if (result.accessToken) secrets.add(result.accessToken);
  if (result.refreshToken) secrets.add(result.refreshToken);
  return result;
}


describe('register', () => {
  it('creates a user with a lower-cased email and no password in the response', async () => {
    const email = uniqueEmail('Mixed');
    const { user } = await server.client().auth.register.mutate({ email: `  ${email.toUpperCase()} `, password: STRONG_PASSWORD });
    expect(user.email).toBe(email.toLowerCase());
    expect(user.role).toBe('user');
    expect(user.emailVerified).toBe(false);
    expect(JSON.stringify(user)).not.toMatch(/hash|argon/i);
  });

  it('rejects invalid input with field errors and creates nothing', async () => {
    const email = uniqueEmail();
    const response = await post(server, 'auth.register', { email: 'not-an-email', password: 'short' });
    expect(response.status).toBe(400);
    const data = (response.json as { error: { data: { reason: string; fieldErrors: Record<string, string[]> } } }).error.data;
    expect(data.reason).toBe('validation_failed');
    expect(Object.keys(data.fieldErrors).sort()).toEqual(['email', 'password']);

    const common = await failureOf(server.client().auth.register.mutate({ email, password: 'password1234' }));
    expect(common.data?.fieldErrors?.password?.[0]).toMatch(/too common/);
    const same = await failureOf(server.client().auth.register.mutate({ email, password: email }));
    expect(same.data?.fieldErrors?.password).toBeDefined();
    const tooLong = await failureOf(server.client().auth.register.mutate({ email, password: 'x'.repeat(129) }));
    expect(tooLong.data?.fieldErrors?.password).toBeDefined();
    // Nothing was created: the email is still free.
    await expect(server.client().auth.register.mutate({ email, password: STRONG_PASSWORD })).resolves.toBeDefined();
  });

  it('answers a taken email (any case) exactly like a new one, changes nothing and mails the owner instead', async () => {
    const email = uniqueEmail();
    const fresh = await post(server, 'auth.register', { email, password: STRONG_PASSWORD, name: 'Owner' });
    const taken = await post(server, 'auth.register', { email: email.toUpperCase(), password: `${STRONG_PASSWORD}-other`, name: 'Intruder' });
    secrets.add(`${STRONG_PASSWORD}-other`);
    expect(fresh.status).toBe(200);
    expect(taken.status).toBe(fresh.status);
    const dataOf = (response: { json: unknown }) => (response.json as { result: { data: { status: string; user: Record<string, unknown> } } }).result.data;
    // Same shape, key for key and type for type; the same status; nothing about the account that exists.
    const shape = (value: unknown): unknown =>
      value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shape(inner)])) : typeof value;
    expect(shape(taken.json)).toEqual(shape(fresh.json));
    expect(dataOf(taken)).toMatchObject({ status: 'verification_sent', user: { email, name: 'Intruder', role: 'user', emailVerified: false } });
    expect(dataOf(fresh).status).toBe('verification_sent');

    // Nothing changed: one account, its own password and name; the answer's id was never stored.
    const rows = await server.deps.sql<{ id: string; name: string | null }[]>`select id, name from users where lower(email) = ${email}`;
    expect(rows).toEqual([{ id: dataOf(fresh).user.id, name: 'Owner' }]);
    expect(await server.deps.sql`select 1 from users where id = ${String(dataOf(taken).user.id)}`).toHaveLength(0);
    await expect(server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' })).resolves.toMatchObject({ status: 'authenticated' });
    expect((await failureOf(server.client().auth.login.mutate({ email, password: `${STRONG_PASSWORD}-other` }))).data?.code).toBe('UNAUTHORIZED');

    // The owner hears of it by email (the development outbox here): one verification mail, one notice.
    const deadline = Date.now() + 15_000;
    let subjects: string[] = [];
    while (subjects.length < 2 && Date.now() < deadline) {
      subjects = (await server.deps.sql<{ subject: string }[]>`select subject from mail_outbox where "to" = ${email} order by subject`).map((row) => row.subject);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(subjects).toEqual(['Confirm your email address', 'Someone tried to create an account with your address']);
    const [notice] = await server.deps.sql<{ text: string }[]>`select text from mail_outbox where "to" = ${email} and subject like 'Someone tried%'`;
    expect(notice?.text).toMatch(/sign-in/);
    expect(notice?.text).toMatch(/forgot-password/);
  });

  it('spends the same argon2 work on a taken email as on a new one (both hash the password)', async () => {
    const taken = uniqueEmail('taken');
    await server.client().auth.register.mutate({ email: taken, password: STRONG_PASSWORD });
    const work = async (email: string) => {
      const before = passwordComputations();
      expect((await post(server, 'auth.register', { email, password: STRONG_PASSWORD })).status).toBe(200);
      const after = passwordComputations();
      return { hash: after.hash - before.hash, verify: after.verify - before.verify };
    };
    const fresh = await work(uniqueEmail('fresh'));
    expect(fresh).toEqual({ hash: 1, verify: 0 });
    expect(await work(taken)).toEqual(fresh);
  });
});

describe('login', () => {
  it('answers an unknown email and a wrong password identically', async () => {
    const { email } = await registerAndLogin();
    const unknown = await post(server, 'auth.login', { email: uniqueEmail('ghost'), password: 'wrong-password-123' });
    const wrong = await post(server, 'auth.login', { email, password: 'wrong-password-123' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const strip = (json: unknown) => {
      const error = (json as { error: { message: string; data: Record<string, unknown> } }).error;
      const { requestId: _requestId, ...data } = error.data;
      return { message: error.message, data };
    };
    expect(strip(unknown.json)).toEqual(strip(wrong.json));
    expect(strip(wrong.json).data.reason).toBe('invalid_credentials');
  });

  it('spends the same argon2 work on an unknown email as on a wrong password (dummy hash)', async () => {
    const { email } = await registerAndLogin();
    // The dummy hash is computed once, on first use: take that out of the comparison.
    await post(server, 'auth.login', { email: uniqueEmail('ghost'), password: 'warm-up-password' });
    const work = async (body: unknown) => {
      const before = passwordComputations();
      expect((await post(server, 'auth.login', body)).status).toBe(401);
      const after = passwordComputations();
      return { hash: after.hash - before.hash, verify: after.verify - before.verify };
    };
    const wrong = await work({ email, password: 'wrong-password-123' });
    expect(wrong).toEqual({ hash: 0, verify: 1 });
    // Without the dummy verification the unknown email would skip argon2 and answer ~10x faster.
    expect(await work({ email: uniqueEmail('ghost'), password: 'wrong-password-123' })).toEqual(wrong);
  });

  it('sets httpOnly SameSite=Strict cookies by default and returns no token in the body', async () => {
    const email = uniqueEmail();
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    const response = await post(server, 'auth.login', { email, password: STRONG_PASSWORD });
    expect(response.status).toBe(200);
    expect(response.text).not.toMatch(/"accessToken"|"refreshToken"/);
    const cookies = response.headers.getSetCookie().filter((cookie) => /^bastion_(at|rt)=/.test(cookie));
    expect(cookies).toHaveLength(2);
    for (const cookie of cookies) {
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Path=\//);
    }
  });

  it('lets a bearer token call auth.me', async () => {
    const { accessToken, email } = await registerAndLogin();
    const { user } = await server.client({ accessToken }).auth.me.query();
    expect(user.email).toBe(email);
  });
});

describe('refresh rotation', () => {
  it('rotates: the new pair works, and each refresh token is single-use', async () => {
    const { refreshToken } = await registerAndLogin();
    const first = await refresh(refreshToken);
    expect(first.refreshToken).toBeDefined();
    expect(first.refreshToken).not.toBe(refreshToken);
    await expect(server.client({ accessToken: first.accessToken }).auth.me.query()).resolves.toBeDefined();
    const second = await refresh(first.refreshToken!);
    expect(second.refreshToken).not.toBe(first.refreshToken);
  });

  it('returns the same child for the parent inside the grace window', async () => {
    const { refreshToken } = await registerAndLogin();
    const first = await refresh(refreshToken);
    const again = await refresh(refreshToken);
    expect(again.refreshToken).toBe(first.refreshToken);
    // The child is still valid and rotates normally.
    await expect(refresh(first.refreshToken!)).resolves.toBeDefined();
  });

  it('revokes the whole session when a rotated token is reused after the grace window', async () => {
    const { refreshToken, accessToken } = await registerAndLogin();
    const child = await refresh(refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    const reuse = await failureOf(refresh(refreshToken));
    expect(reuse.data?.code).toBe('UNAUTHORIZED');
    expect(reuse.data?.reason).toBe('invalid_refresh_token');
    // The live child and the session's access tokens are dead too.
    const childRefresh = await failureOf(refresh(child.refreshToken!));
    expect(childRefresh.data?.code).toBe('UNAUTHORIZED');
    const me = await failureOf(server.client({ accessToken }).auth.me.query());
    expect(me.data?.code).toBe('UNAUTHORIZED');
    const events = await server.deps.sql<{ type: string }[]>`
      select type from security_events where type = 'refresh_token_reused'`;
    expect(events.length).toBeGreaterThanOrEqual(1);
  });

  it('twenty parallel refreshes with one token yield one child, one live session, no 5xx', async () => {
    const { refreshToken, user } = await registerAndLogin();
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(server, 'auth.refresh', { refreshToken })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const children = new Set(responses.map((r) => (r.json as { result: { data: { refreshToken: string } } }).result.data.refreshToken));
    for (const child of children) secrets.add(child);
    expect(children.size).toBe(1);
    const sessions = await server.deps.sql<{ count: number }[]>`
      select count(*)::int as count from sessions where user_id = ${user.id} and revoked_at is null`;
    expect(sessions[0]?.count).toBe(1);
    const live = await server.deps.sql<{ count: number }[]>`
      select count(*)::int as count from refresh_tokens rt join sessions s on s.id = rt.session_id
      where s.user_id = ${user.id} and rt.used_at is null and rt.revoked_at is null`;
    expect(live[0]?.count).toBe(1);
  });

  it('refuses garbage and unknown refresh tokens with UNAUTHORIZED', async () => {
    for (const token of ['garbage', `rt_${'A'.repeat(43)}`]) {
      const failure = await failureOf(refresh(token));
      expect(failure.data?.code).toBe('UNAUTHORIZED');
    }
  });
});

describe('access token checks over HTTP', () => {
  const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const keyK2 = Buffer.from(TEST_ENV.JWT_SECRETS.split(',')[0]!.split(':')[1]!, 'base64');
  function forge(header: object, payload: object, key: Buffer | string = keyK2) {
    const body = `${b64url(header)}.${b64url(payload)}`;
    return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
  }

  it('refuses tampered, expired, alg:none, wrong-kid, wrong-aud and foreign-key tokens', async () => {
    const { accessToken } = await registerAndLogin();
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const header = { alg: 'HS256', typ: 'JWT', kid: 'k2' };
    const now = Math.floor(Date.now() / 1000);
    // The forged control token is accepted, so each refusal below is the one claim that differs.
    await expect(server.client({ accessToken: forge(header, claims) }).auth.me.query()).resolves.toBeDefined();
    const [h, , sig] = accessToken.split('.');
    const bad = {
      tampered: `${h}.${b64url({ ...claims, role: 'admin' })}.${sig}`,
      expired: forge(header, { ...claims, iat: now - 3600, exp: now - 60 }),
      algNone: `${b64url({ alg: 'none', typ: 'JWT', kid: 'k2' })}.${b64url(claims)}.`,
      wrongKid: forge({ ...header, kid: 'k9' }, claims),
      wrongAud: forge(header, { ...claims, aud: 'another-api' }),
      foreignKey: forge(header, claims, 'not-our-key'),
      jku: forge({ ...header, jku: 'http://127.0.0.1:1/keys' }, claims),
    };
    for (const [name, token] of Object.entries(bad)) {
      const failure = await failureOf(server.client({ accessToken: token }).auth.me.query());
      expect({ name, code: failure.data?.code }).toEqual({ name, code: 'UNAUTHORIZED' });
    }
  });
});

describe('logout', () => {
  it('ends the session: its access and refresh tokens stop working at once', async () => {
    const { accessToken, refreshToken } = await registerAndLogin();
    await server.client({ accessToken }).auth.logout.mutate();
    expect((await failureOf(server.client({ accessToken }).auth.me.query())).data?.code).toBe('UNAUTHORIZED');
    expect((await failureOf(refresh(refreshToken))).data?.code).toBe('UNAUTHORIZED');
  });

  it('ends only the current session', async () => {
    const first = await registerAndLogin();
    const second = await server.client().auth.login.mutate({ email: first.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
    if (second.status !== 'authenticated') throw new Error('expected tokens');
    secrets.add(second.accessToken!);
    secrets.add(second.refreshToken!);
    await server.client({ accessToken: first.accessToken }).auth.logout.mutate();
    await expect(server.client({ accessToken: second.accessToken }).auth.me.query()).resolves.toBeDefined();
  });

  it('requires authentication', async () => {
    expect((await failureOf(server.client().auth.logout.mutate())).data?.code).toBe('UNAUTHORIZED');
    expect((await failureOf(server.client().auth.me.query())).data?.code).toBe('UNAUTHORIZED');
  });
});

describe('logs', () => {
  it('never contain a password or token handled in this file', () => {
    const text = server.logs.join('');
    expect(text.length).toBeGreaterThan(0);
    expect(secrets.size).toBeGreaterThan(5);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain('"requestId"');
  });
});
