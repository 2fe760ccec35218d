import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '@bastion/db';
import { decrypt } from '../../../packages/api/src/lib/crypto/key-ring.ts';
import { openToken } from '../../../packages/api/src/features/oidc/tokens.ts';
import { refusalOf, STRONG_PASSWORD, tokensOf, type TestServer, uniqueEmail } from '../../../test/helpers/server.ts';
import { signUp } from '../../../test/helpers/users.ts';
import { authorize, callback, CLIENT_ID, fullFlow, s256, startFlow, startOidcTestServer, type MockIssuer } from '../../../test/helpers/oidc.ts';

let server: TestServer;
let mock: MockIssuer;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => ({ server, mock, close } = await startOidcTestServer()));
// Also checks that no provider token reached the logs.
afterAll(() => close?.());

beforeEach(() => {
  mock.tamperIdToken = null;
});

const googleUser = (email = uniqueEmail('g'), verified = true) => {
  mock.identity = { sub: `google-${randomBytes(6).toString('hex')}`, email, email_verified: verified, name: 'Gee User' };
  return mock.identity;
};

async function failureReasons(userId: string | null) {
  const e = schema.securityEvents;
  const rows = await server.deps.db
    .select({ details: e.details })
    .from(e)
    .where(and(eq(e.type, 'oauth_failed'), userId ? eq(e.userId, userId) : sql`true`));
  return rows.map((row) => row.details.reason);
}

const accountsOf = (userId: string) =>
  server.deps.db.select({ id: schema.connectedAccounts.id, subject: schema.connectedAccounts.subject, status: schema.connectedAccounts.status }).from(schema.connectedAccounts).where(eq(schema.connectedAccounts.userId, userId));

describe('auth.providers', () => {
  it('lists Google when configured', async () => {
    expect(await server.client().auth.providers.query()).toEqual({ providers: [{ id: 'google', name: 'Google' }] });
  });
});

describe('auth.oauth.start', () => {
  it('asks for openid email profile with PKCE S256, state and nonce, and sets a Lax httpOnly state cookie', async () => {
    const response = await fetch(`${server.url}/trpc/auth.oauth.start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'google' }) });
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('bastion_oauth='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Max-Age=600/);
    const url = new URL(((await response.json()) as { result: { data: { authorizationUrl: string } } }).result.data.authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${mock.url}/authorize`);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('redirect_uri')).toMatch(/\/auth\/oauth\/google\/callback$/);
    // Sign-in asks for no offline access; only linking does.
    expect(url.searchParams.get('access_type')).toBeNull();
  });

  it.each(['//evil.example', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)', '/\t/evil.example'])('refuses the open redirect %s with 400 invalid_redirect', async (redirectTo) => {
    expect(await refusalOf(server.client().auth.oauth.start.mutate({ provider: 'google', redirectTo }))).toMatchObject({ httpStatus: 400, reason: 'invalid_redirect' });
  });

  it('refuses to link without a session', async () => {
    expect(await refusalOf(server.client().auth.oauth.start.mutate({ provider: 'google', intent: 'link' }))).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('sign-in and sign-up', () => {
  it('creates a verified user without a password on first sign-in, then signs the same user in again', async () => {
    const identity = googleUser();
    mock.tokenRequests.length = 0;
    const started = await startFlow(server, { provider: 'google', redirectTo: '/account?tab=1' });
    const first = await callback(await authorize(server, started), started.stateCookie);
    expect(first.status).toBe(302);
    expect(first.location).toBe('/account?tab=1');
    // PKCE: the verifier went to the token endpoint and matches the challenge sent to the provider.
    const exchange = mock.tokenRequests.find((body) => body.grant_type === 'authorization_code')!;
    expect(s256(String(exchange.code_verifier))).toBe(started.authorizationUrl.searchParams.get('code_challenge'));
    const accessToken = first.cookies.get('bastion_at')!;
    expect(accessToken).toBeTruthy();
    expect(first.cookies.get('bastion_oauth')).toBe('');

    const me = await server.client({ accessToken }).auth.me.query();
    expect(me.user).toMatchObject({ email: identity.email, emailVerified: true, name: 'Gee User' });
    const [row] = await server.deps.db.select({ passwordHash: schema.users.passwordHash }).from(schema.users).where(eq(schema.users.id, me.user.id));
    expect(row?.passwordHash).toBeNull();
    // A password sign-in cannot get into it.
    expect(await refusalOf(server.client().auth.login.mutate({ email: identity.email!, password: STRONG_PASSWORD }))).toMatchObject({ reason: 'invalid_credentials' });

    const again = await fullFlow(server);
    expect(again.location).toBe('/');
    const meAgain = await server.client({ accessToken: again.cookies.get('bastion_at')! }).auth.me.query();
    expect(meAgain.user.id).toBe(me.user.id);
    expect(await accountsOf(me.user.id)).toHaveLength(1);
  });

  it('still asks for the second factor when it is on, and finishes like a password sign-in', async () => {
    googleUser();
    const first = await fullFlow(server);
    const client = server.client({ accessToken: first.cookies.get('bastion_at')! });
    // 2FA needs a password to turn on: a Google-only account sets one first.
    await client.auth.setPassword.mutate({ newPassword: STRONG_PASSWORD });
    const setup = await client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD });
    const totp = new TOTP({ secret: Secret.fromBase32(setup.secret), algorithm: 'SHA1', digits: 6, period: 30 });
    while (Date.now() % 30_000 > 27_000) await new Promise((resolve) => setTimeout(resolve, 250));
    await client.auth.twoFactor.enable.mutate({ password: STRONG_PASSWORD, code: totp.generate({ timestamp: Date.now() - 30_000 }) });

    const second = await fullFlow(server);
    const challengeId = /^\/sign-in#challenge=([0-9a-f-]{36})$/.exec(second.location)?.[1];
    expect(challengeId).toBeDefined();
    expect(second.cookies.get('bastion_at')).toBeUndefined();
    const signedIn = tokensOf(await server.client().auth.login2fa.mutate({ challengeId: challengeId!, code: totp.generate(), tokenDelivery: 'body' }));
    expect(signedIn.user.email).toBe((await client.auth.me.query()).user.email);
  });

  it('never links by email: an existing address is told to sign in with its password', async () => {
    const existing = await signUp(server);
    googleUser(existing.email);
    const result = await fullFlow(server);
    expect(result.location).toBe('/sign-in?error=account_exists');
    expect(result.cookies.get('bastion_at')).toBeUndefined();
    expect(await accountsOf(existing.id)).toHaveLength(0);
    expect(await failureReasons(existing.id)).toContain('account_exists');
  });

  it('refuses to create an account from an unverified email', async () => {
    const identity = googleUser(uniqueEmail('unverified'), false);
    const result = await fullFlow(server);
    expect(result.location).toBe('/sign-in?error=email_not_verified');
    const users = await server.deps.db.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.email, identity.email!));
    expect(users).toHaveLength(0);
  });
});

describe('state checks', () => {
  it('refuses a missing state cookie', async () => {
    googleUser();
    const started = await startFlow(server);
    const result = await callback(await authorize(server, started));
    expect(result.location).toBe('/sign-in?error=state_cookie_missing');
  });

  it("refuses another browser's state (mismatch with the cookie)", async () => {
    googleUser();
    const victim = await startFlow(server);
    const attacker = await startFlow(server);
    const result = await callback(await authorize(server, victim), attacker.stateCookie);
    expect(result.location).toBe('/sign-in?error=state_mismatch');
    const forged = await authorize(server, attacker);
    forged.searchParams.set('state', 'forged-state-value-0123456789');
    expect((await callback(forged, attacker.stateCookie)).location).toBe('/sign-in?error=state_mismatch');
  });

  it('refuses a replayed state', async () => {
    googleUser();
    const started = await startFlow(server);
    const url = await authorize(server, started);
    expect((await callback(url, started.stateCookie)).location).toBe('/');
    expect((await callback(url, started.stateCookie)).location).toBe('/sign-in?error=state_used');
  });

  it('refuses an expired state', async () => {
    googleUser();
    const started = await startFlow(server);
    const url = await authorize(server, started);
    await server.deps.db.update(schema.oauthStates).set({ expiresAt: sql`now() - interval '1 second'` }).where(sql`${schema.oauthStates.consumedAt} is null`);
    expect((await callback(url, started.stateCookie)).location).toBe('/sign-in?error=state_expired');
  });

  it('refuses a callback without state and an error from the provider, without its text', async () => {
    const started = await startFlow(server);
    const state = started.authorizationUrl.searchParams.get('state')!;
    const noState = new URL('/auth/oauth/google/callback?code=abc', server.url);
    expect((await callback(noState, started.stateCookie)).location).toBe('/sign-in?error=missing_state');
    const denied = new URL(`/auth/oauth/google/callback?error=access_denied&error_description=upstream-secret-body&state=${state}`, server.url);
    const result = await callback(denied, started.stateCookie);
    expect(result.location).toBe('/sign-in?error=access_denied');
  });
});

describe('ID token checks', () => {
  const refused = async (tamper: (payload: Record<string, unknown>) => void) => {
    googleUser();
    mock.tamperIdToken = tamper;
    const result = await fullFlow(server);
    expect(result.cookies.get('bastion_at')).toBeUndefined();
    return result.location;
  };

  it('refuses a wrong nonce', async () => {
    expect(await refused((p) => void (p.nonce = 'not-the-nonce-we-sent'))).toBe('/sign-in?error=invalid_id_token');
  });
  it('refuses a wrong audience', async () => {
    expect(await refused((p) => void (p.aud = 'someone-else'))).toBe('/sign-in?error=invalid_id_token');
  });
  it('refuses a wrong issuer', async () => {
    expect(await refused((p) => void (p.iss = 'https://evil.example'))).toBe('/sign-in?error=invalid_id_token');
  });
  it('refuses an expired ID token', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refused((p) => Object.assign(p, { iat: now - 7200, exp: now - 3600 }))).toBe('/sign-in?error=invalid_id_token');
  });

  it('refuses an ID token without iat, or issued in the future', async () => {
    expect(await refused((p) => void delete p.iat)).toBe('/sign-in?error=invalid_id_token');
    expect(await refused((p) => void (p.iat = Math.floor(Date.now() / 1000) + 3600))).toBe('/sign-in?error=invalid_id_token');
  });

  it('refuses an unsigned (alg: none) ID token', async () => {
    googleUser();
    const swap = (response: { body: Record<string, unknown> }) => {
      const idToken = String(response.body.id_token);
      const payload = idToken.split('.')[1];
      response.body.id_token = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    };
    mock.server.service.once('beforeResponse', swap);
    const result = await fullFlow(server);
    expect(result.location).toBe('/sign-in?error=invalid_id_token');
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    googleUser();
    const started = await startFlow(server);
    const nonce = started.authorizationUrl.searchParams.get('nonce');
    const { OAuth2Issuer } = await import('oauth2-mock-server');
    const impostor = new OAuth2Issuer();
    impostor.url = mock.url;
    await impostor.keys.generate('RS256');
    const forged = await impostor.buildToken({ scopesOrTransform: (_header, payload) => void Object.assign(payload, { aud: CLIENT_ID, nonce, ...mock.identity }) });
    mock.server.service.once('beforeResponse', (response: { body: Record<string, unknown> }) => void (response.body.id_token = forged));
    const result = await callback(await authorize(server, started), started.stateCookie);
    expect(result.location).toBe('/sign-in?error=invalid_id_token');
  });

  it('records every failure as a security event with a stable reason', async () => {
    const reasons = await failureReasons(null);
    expect(reasons).toEqual(expect.arrayContaining(['invalid_id_token', 'state_used', 'state_expired', 'state_mismatch', 'state_cookie_missing', 'email_not_verified', 'account_exists']));
  });
});

describe('linking and connected accounts', () => {
  async function linkedPasswordUser() {
    const user = await signUp(server);
    const identity = googleUser(uniqueEmail('linked'));
    const result = await fullFlow(server, { provider: 'google', intent: 'link', redirectTo: '/account/connected-accounts' }, { authorization: `Bearer ${user.accessToken}` });
    return { user, identity, result };
  }

  it('links Google to the signed-in user (offline access asked), then signs that user in with it', async () => {
    const started = await startFlow(server, { provider: 'google', intent: 'link' }, { authorization: `Bearer ${(await signUp(server)).accessToken}` });
    expect(started.authorizationUrl.searchParams.get('access_type')).toBe('offline');
    expect(started.authorizationUrl.searchParams.get('prompt')).toBe('consent');

    const { user, identity, result } = await linkedPasswordUser();
    expect(result.location).toBe('/account/connected-accounts');
    const list = await user.client.connectedAccounts.list.query();
    expect(list).toEqual([{ id: expect.any(String), provider: 'google', email: identity.email, scopes: expect.any(Array), status: 'active', expiresAt: expect.any(String), lastRefreshedAt: null }]);
    expect(JSON.stringify(list)).not.toMatch(/token/i);

    const signIn = await fullFlow(server);
    const me = await server.client({ accessToken: signIn.cookies.get('bastion_at')! }).auth.me.query();
    expect(me.user.id).toBe(user.id);
  });

  it("refuses to link a Google account already linked to someone else", async () => {
    const { identity } = await linkedPasswordUser();
    const other = await signUp(server);
    mock.identity = identity;
    const result = await fullFlow(server, { provider: 'google', intent: 'link' }, { authorization: `Bearer ${other.accessToken}` });
    expect(result.location).toBe('/sign-in?error=already_linked');
    expect(await accountsOf(other.id)).toHaveLength(0);
  });

  it('keeps tokens only sealed: the raw columns never hold a token, and a sealed token moved to another row does not open', async () => {
    const before = mock.issuedTokens.length;
    const a = await linkedPasswordUser();
    const issued = mock.issuedTokens.slice(before);
    expect(issued.length).toBeGreaterThan(0);
    const raw = await server.deps.sql`select row_to_json(c)::text as row from connected_accounts c`;
    const states = await server.deps.sql`select row_to_json(s)::text as row from oauth_states s`;
    for (const { row } of [...raw, ...states]) for (const token of issued) expect(row).not.toContain(token);

    const [rowA] = await server.deps.db
      .select({ id: schema.connectedAccounts.id, userId: schema.connectedAccounts.userId, accessTokenSealed: schema.connectedAccounts.accessTokenSealed, refreshTokenSealed: schema.connectedAccounts.refreshTokenSealed })
      .from(schema.connectedAccounts)
      .where(eq(schema.connectedAccounts.userId, a.user.id));
    const keys = server.deps.config.encryption.keys;
    expect(issued).toContain(openToken(keys, 'access_token', rowA!, rowA!.accessTokenSealed!));
    expect(issued).toContain(openToken(keys, 'refresh_token', rowA!, rowA!.refreshTokenSealed!));

    const b = await linkedPasswordUser();
    const [rowB] = await server.deps.db.select({ id: schema.connectedAccounts.id, userId: schema.connectedAccounts.userId }).from(schema.connectedAccounts).where(eq(schema.connectedAccounts.userId, b.user.id));
    await server.deps.db.update(schema.connectedAccounts).set({ accessTokenSealed: rowA!.accessTokenSealed }).where(eq(schema.connectedAccounts.id, rowB!.id));
    expect(() => openToken(keys, 'access_token', rowB!, rowA!.accessTokenSealed!)).toThrow(/authenticate/);
    // Nor in the other column of its own row.
    expect(() => decrypt(keys, rowA!.accessTokenSealed!, `connected_accounts:refresh_token:${rowA!.userId}:${rowA!.id}`)).toThrow(/authenticate/);
  });

  it("disconnects (revoking at the provider), scoped to the owner; never the only way to sign in", async () => {
    const { user } = await linkedPasswordUser();
    const [account] = await user.client.connectedAccounts.list.query();
    const stranger = await signUp(server);
    expect(await refusalOf(stranger.client.connectedAccounts.disconnect.mutate({ id: account!.id }))).toMatchObject({ code: 'NOT_FOUND' });
    const revoked: unknown[] = [];
    const onRevoke = (_response: unknown, req: { body?: unknown }) => revoked.push(req);
    mock.server.service.once('beforeRevoke', onRevoke);
    expect(await user.client.connectedAccounts.disconnect.mutate({ id: account!.id })).toEqual({ success: true });
    expect(revoked).toHaveLength(1);
    expect(await user.client.connectedAccounts.list.query()).toEqual([]);

    // A Google-only account keeps its one sign-in method.
    googleUser();
    const only = await fullFlow(server);
    const client = server.client({ accessToken: only.cookies.get('bastion_at')! });
    const [sole] = await client.connectedAccounts.list.query();
    expect(await refusalOf(client.connectedAccounts.disconnect.mutate({ id: sole!.id }))).toMatchObject({ code: 'FORBIDDEN', reason: 'last_sign_in_method' });

    // With a password set (recently signed in), it may go.
    expect(await client.auth.passwordStatus.query()).toEqual({ hasPassword: false });
    expect(await client.auth.setPassword.mutate({ newPassword: STRONG_PASSWORD })).toEqual({ success: true });
    expect(await refusalOf(client.auth.setPassword.mutate({ newPassword: STRONG_PASSWORD }))).toMatchObject({ reason: 'password_already_set' });
    expect(await client.auth.passwordStatus.query()).toEqual({ hasPassword: true });
    expect(await client.connectedAccounts.disconnect.mutate({ id: sole!.id })).toEqual({ success: true });
    const me = await client.auth.me.query();
    tokensOf(await server.client().auth.login.mutate({ email: me.user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
  });

  it('sets a password only soon after signing in', async () => {
    googleUser();
    const result = await fullFlow(server);
    const client = server.client({ accessToken: result.cookies.get('bastion_at')! });
    const me = await client.auth.me.query();
    await server.deps.db.update(schema.sessions).set({ createdAt: sql`now() - interval '11 minutes'` }).where(eq(schema.sessions.userId, me.user.id));
    expect(await refusalOf(client.auth.setPassword.mutate({ newPassword: STRONG_PASSWORD }))).toMatchObject({ code: 'FORBIDDEN', reason: 'reauthentication_required' });
  });
});
