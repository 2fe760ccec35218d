import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '@bastion/db';
import { getProviderAccessToken, refreshAccount, scanForRefresh } from '@bastion/api';
import { openToken } from '../../../packages/api/src/features/oidc/tokens.ts';
import { refusalOf, startTestServer, type TestServer, uniqueEmail } from '../../../test/helpers/server.ts';
import { signUp } from '../../../test/helpers/users.ts';
import { CLIENT_ID, fullFlow, oidcEnv, startMockIssuer, type MockIssuer } from '../../../test/helpers/oidc.ts';

let server: TestServer;
let mock: MockIssuer;

/**
 * The token endpoint the server discovers: our own loopback proxy in front of the mock's, so a
 * test can fail refreshes (transiently or for good) and hold one in flight while others try.
 * Only the refreshes of `target` (the refresh token of the test's own account) are counted and
 * steered: a scan also queues the earlier tests' accounts, whose refreshes pass straight through.
 */
const tokenProxy = {
  server: null as Server | null,
  target: null as string | null,
  refreshHits: 0,
  failNext: 0,
  invalidGrant: false,
  gate: null as Promise<void> | null,
  openGate: () => {},
};

beforeAll(async () => {
  mock = await startMockIssuer();
  tokenProxy.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      const params = new URLSearchParams(body);
      if (params.get('grant_type') === 'refresh_token' && params.get('refresh_token') === tokenProxy.target) {
        tokenProxy.refreshHits++;
        if (tokenProxy.gate) await tokenProxy.gate;
        if (tokenProxy.invalidGrant) return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant","error_description":"upstream-secret-body"}');
        if (tokenProxy.failNext > 0) {
          tokenProxy.failNext--;
          return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
        }
      }
      const upstream = await fetch(`${mock.url}/token`, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) }, body });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
  });
  await new Promise<void>((resolve) => tokenProxy.server!.listen(0, '127.0.0.1', resolve));
  const address = tokenProxy.server.address() as { port: number };
  mock.server.service.on('beforeWellKnownOpenIdConfiguration', (response: { body: Record<string, unknown> }) => {
    response.body.token_endpoint = `http://127.0.0.1:${address.port}/token`;
  });
  server = await startTestServer({ ...oidcEnv(mock), JOB_RETRY_DELAY_S: '1' });
});

afterAll(async () => {
  await server?.close();
  await mock?.close();
  await new Promise((resolve) => tokenProxy.server?.close(resolve));
  for (const token of mock.issuedTokens) expect(server.logs.join('')).not.toContain(token);
});

beforeEach(() => {
  tokenProxy.target = null;
  tokenProxy.refreshHits = 0;
  tokenProxy.failNext = 0;
  tokenProxy.invalidGrant = false;
  tokenProxy.gate = null;
});

const refreshDeps = () => server.deps;
const a = schema.connectedAccounts;

/** A password user with Google linked (offline access: a refresh token), due for a refresh. */
async function linkedAccount() {
  const user = await signUp(server);
  mock.identity = { sub: `google-${randomBytes(6).toString('hex')}`, email: uniqueEmail('refresh'), email_verified: true };
  const result = await fullFlow(server, { provider: 'google', intent: 'link' }, { authorization: `Bearer ${user.accessToken}` });
  expect(result.location).toBe('/');
  const [account] = await server.deps.db.select({ id: a.id, userId: a.userId, sub: a.subject }).from(a).where(eq(a.userId, user.id));
  await server.deps.db.update(a).set({ expiresAt: sql`now() + interval '1 hour'` }).where(eq(a.id, account!.id));
  const row = await accountRow(account!.id);
  tokenProxy.target = openToken(server.deps.config.encryption.keys, 'refresh_token', row, row.refreshTokenSealed!);
  return { user, account: account!, subject: account!.sub };
}

async function accountRow(id: string) {
  const [row] = await server.deps.db
    .select({ id: a.id, userId: a.userId, status: a.status, lastRefreshedAt: a.lastRefreshedAt, refreshFailures: a.refreshFailures, accessTokenSealed: a.accessTokenSealed, refreshTokenSealed: a.refreshTokenSealed, lastRefreshError: a.lastRefreshError })
    .from(a)
    .where(eq(a.id, id));
  return row!;
}

async function until<T>(what: string, check: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function events(userId: string, type: string) {
  const e = schema.securityEvents;
  return server.deps.db.select({ details: e.details }).from(e).where(and(eq(e.userId, userId), eq(e.type, type))).orderBy(e.createdAt);
}

const REAUTH_SUBJECT = 'Reconnect your Google account';
const mailsTo = async (to: string) =>
  server.deps.db.select({ subject: schema.mailOutbox.subject }).from(schema.mailOutbox).where(and(eq(schema.mailOutbox.to, to), eq(schema.mailOutbox.subject, REAUTH_SUBJECT)));

describe('the refresh job', () => {
  it('queues accounts expiring within 24 h and refreshes them, sealing the new token', async () => {
    const { user, account } = await linkedAccount();
    const issuedBefore = mock.issuedTokens.length;
    expect(await scanForRefresh({ db: server.deps.db, jobs: server.deps.jobs })).toBeGreaterThanOrEqual(1);
    const row = await until('the refresh', async () => {
      const current = await accountRow(account.id);
      return current.lastRefreshedAt ? current : null;
    });
    expect(row.status).toBe('active');
    const fresh = mock.issuedTokens.slice(issuedBefore);
    expect(fresh).toContain(openToken(server.deps.config.encryption.keys, 'access_token', row, row.accessTokenSealed!));
    expect(await events(user.id, 'provider_token_refreshed')).toHaveLength(1);
    // Now valid for an hour, then due again: a second scan within the window still finds it, but
    // an account refreshed beyond the window is left alone.
    await server.deps.db.update(a).set({ expiresAt: sql`now() + interval '2 days'` }).where(eq(a.id, account.id));
    expect(await refreshAccount(refreshDeps(), account.id, { minValiditySeconds: 24 * 3600, requestId: 'test' })).toBe('fresh');
  });

  it('retries transient failures with backoff: two 503s, then success, each attempt logged', async () => {
    const { user, account } = await linkedAccount();
    tokenProxy.failNext = 2;
    await server.deps.jobs.send('provider-refresh', { accountId: account.id }, { singletonKey: account.id });
    const row = await until('the refresh after two failures', async () => {
      const current = await accountRow(account.id);
      return current.lastRefreshedAt ? current : null;
    });
    expect(tokenProxy.refreshHits).toBe(3);
    expect(row).toMatchObject({ status: 'active', refreshFailures: 0, lastRefreshError: null });
    const failures = await events(user.id, 'provider_token_refresh_failed');
    expect(failures.map((event) => event.details)).toEqual([
      expect.objectContaining({ error: 'http_503', transient: true, failures: 1 }),
      expect.objectContaining({ error: 'http_503', transient: true, failures: 2 }),
    ]);
    expect(await events(user.id, 'provider_token_refreshed')).toHaveLength(1);
  });

  it('invalid_grant: needs_reauth, the user emailed exactly once, shown in the list', async () => {
    const { user, account } = await linkedAccount();
    tokenProxy.invalidGrant = true;
    await server.deps.jobs.send('provider-refresh', { accountId: account.id }, { singletonKey: account.id });
    await until('needs_reauth', async () => (await accountRow(account.id)).status === 'needs_reauth');
    await until('the reconnect email', async () => (await mailsTo(user.email)).length > 0);
    // Asking again changes nothing and mails nobody.
    expect(await refreshAccount(refreshDeps(), account.id, { minValiditySeconds: 24 * 3600, requestId: 'test' })).toBe('not_refreshable');
    expect(await scanForRefresh({ db: server.deps.db, jobs: server.deps.jobs })).toBeGreaterThanOrEqual(0);
    expect(await events(user.id, 'connected_account_needs_reauth')).toHaveLength(1);
    expect(await mailsTo(user.email)).toHaveLength(1);
    expect(tokenProxy.refreshHits).toBe(1);
    const [listed] = await user.client.connectedAccounts.list.query();
    expect(listed?.status).toBe('needs_reauth');
    await expect(getProviderAccessToken(refreshDeps(), user.id, 'google')).rejects.toMatchObject({ reason: 'reconnect_required' });
    // The provider's text never reached the security log.
    const failed = await events(user.id, 'provider_token_refresh_failed');
    expect(JSON.stringify(failed)).not.toContain('upstream-secret-body');

    // "Reconnect": linking again brings a new refresh token and makes the account active.
    tokenProxy.invalidGrant = false;
    mock.identity = { ...mock.identity, sub: account.sub };
    expect((await fullFlow(server, { provider: 'google', intent: 'link' }, { authorization: `Bearer ${user.accessToken}` })).location).toBe('/');
    expect(await accountRow(account.id)).toMatchObject({ status: 'active', refreshFailures: 0, lastRefreshError: null });
    expect(await getProviderAccessToken(refreshDeps(), user.id, 'google')).toEqual(expect.any(String));
  });

  it('repeated failures end in needs_reauth too', async () => {
    const { user, account } = await linkedAccount();
    await server.deps.db.update(a).set({ refreshFailures: 4 }).where(eq(a.id, account.id));
    tokenProxy.failNext = 1;
    expect(await refreshAccount(refreshDeps(), account.id, { minValiditySeconds: 24 * 3600, requestId: 'test' })).toBe('needs_reauth');
    expect((await accountRow(account.id)).status).toBe('needs_reauth');
    await until('the reconnect email', async () => (await mailsTo(user.email)).length > 0);
  });

  it('never refreshes one account twice at once: workers and on-demand callers share one refresh', async () => {
    const { user, account } = await linkedAccount();
    // An expired access token: on-demand callers must refresh.
    await server.deps.db.update(a).set({ expiresAt: sql`now() - interval '1 minute'` }).where(eq(a.id, account.id));
    tokenProxy.gate = new Promise<void>((resolve) => (tokenProxy.openGate = resolve));
    const deps = refreshDeps();
    const workers = Array.from({ length: 4 }, () => refreshAccount(deps, account.id, { minValiditySeconds: 24 * 3600, requestId: 'worker' }));
    const onDemand = [getProviderAccessToken(deps, user.id, 'google'), getProviderAccessToken(deps, user.id, 'google')];
    await until('the one refresh in flight', async () => tokenProxy.refreshHits === 1);
    const early = await Promise.all(workers.map((w) => Promise.race([w, Promise.resolve('pending')])));
    expect(early.filter((outcome) => outcome === 'busy')).toHaveLength(3);
    tokenProxy.openGate();
    expect((await Promise.all(workers)).sort()).toEqual(['busy', 'busy', 'busy', 'refreshed']);
    const [first, second] = await Promise.all(onDemand);
    expect(first).toBe(second);
    expect(tokenProxy.refreshHits).toBe(1);
    const row = await accountRow(account.id);
    expect(openToken(deps.config.encryption.keys, 'access_token', row, row.accessTokenSealed!)).toBe(first);
  });
});

describe('provider security events (RISC)', () => {
  const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
  const post = (body: string) => fetch(`${server.url}/auth/oauth/google/events`, { method: 'POST', headers: { 'content-type': 'application/secevent+jwt' }, body });
  const eventToken = (type: string, sub: string, overrides: Record<string, unknown> = {}) =>
    mock.server.issuer.buildToken({
      scopesOrTransform: (_header, payload) =>
        void Object.assign(payload, { aud: CLIENT_ID, jti: randomBytes(8).toString('hex'), events: { [`${RISC}${type}`]: { subject: { subject_type: 'iss-sub', iss: mock.url, sub } } } }, overrides),
    });

  it('tokens-revoked: the account is revoked and its tokens forgotten', async () => {
    const { user, account, subject } = await linkedAccount();
    const response = await post(await eventToken('tokens-revoked', subject));
    expect(response.status).toBe(202);
    const row = await accountRow(account.id);
    expect(row).toMatchObject({ status: 'revoked', accessTokenSealed: null, refreshTokenSealed: null });
    expect(await events(user.id, 'connected_account_revoked')).toHaveLength(1);
    // Signed-in sessions stay.
    expect((await user.client.auth.me.query()).user.id).toBe(user.id);
  });

  it('sessions-revoked signs the user out everywhere; account-disabled does both', async () => {
    const first = await linkedAccount();
    expect((await post(await eventToken('sessions-revoked', first.subject))).status).toBe(202);
    expect(await refusalOf(first.user.client.auth.me.query())).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await accountRow(first.account.id)).status).toBe('active');

    const second = await linkedAccount();
    expect((await post(await eventToken('account-disabled', second.subject))).status).toBe(202);
    expect(await refusalOf(second.user.client.auth.me.query())).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await accountRow(second.account.id)).status).toBe('revoked');
  });

  it('refuses tokens not signed by the issuer, for another audience, or malformed; unknown subjects are acknowledged', async () => {
    const { account, subject } = await linkedAccount();
    const { OAuth2Issuer } = await import('oauth2-mock-server');
    const impostor = new OAuth2Issuer();
    impostor.url = mock.url;
    await impostor.keys.generate('RS256');
    const forged = await impostor.buildToken({ scopesOrTransform: (_h, p) => void Object.assign(p, { aud: CLIENT_ID, events: { [`${RISC}tokens-revoked`]: { subject: { subject_type: 'iss-sub', iss: mock.url, sub: subject } } } }) });
    expect((await post(forged)).status).toBe(400);
    expect((await post(await eventToken('tokens-revoked', subject, { aud: 'someone-else' }))).status).toBe(400);
    expect((await post('not a token')).status).toBe(400);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: mock.url, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), events: {} })).toString('base64url')}.`;
    expect((await post(unsigned)).status).toBe(400);
    expect((await accountRow(account.id)).status).toBe('active');
    expect((await post(await eventToken('tokens-revoked', 'nobody-we-know'))).status).toBe(202);
  });
});
