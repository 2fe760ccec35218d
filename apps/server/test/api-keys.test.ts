import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '@bastion/api';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { refusalOf, startTestServer, STRONG_PASSWORD, type TestServer } from '../../../test/helpers/server.ts';
import { metricValue, signUp } from '../../../test/helpers/users.ts';

/**
 * Two instances on one database, as behind a load balancer. Each caches keys by prefix for a
 * minute, so only the invalidation bus can explain the second refusing a revoked key within 2 s.
 * Counters live in memory: the statement counts below are then the main pool's alone.
 */
let a: TestServer;
let b: TestServer;
const KEY = /^bst_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

beforeAll(async () => {
  const url = await createTestDatabase();
  const env = { RATE_LIMIT_STORE: 'memory' };
  [a, b] = await Promise.all([startTestServer(env, url), startTestServer(env, url)]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

type User = Awaited<ReturnType<typeof signUp>>;

async function keyFor(user: User, scopes: Parameters<User['client']['apiKeys']['create']['mutate']>[0]['scopes'], extra: { expiresAt?: string } = {}) {
  return user.client.apiKeys.create.mutate({ name: 'digest service', scopes, ...extra });
}

/** Polls until all the user's keys have a stored last use (the batched write is asynchronous). */
async function lastUseStored(server: TestServer, userId: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await server.deps.sql<{ n: number }[]>`select count(*)::int as n from api_keys where user_id = ${userId} and last_used_at is not null`;
    if (row?.n === count || Date.now() > deadline) {
      expect(row?.n).toBe(count);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls until `call` is refused with `code`: whether that happened within `limitMs`. */
async function refusedWithin(call: () => Promise<unknown>, code: string, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const refusal = await call().then(
      () => undefined,
      (error: unknown) => error,
    );
    if (refusal !== undefined) {
      const data = (refusal as { data?: { code?: string } }).data;
      if (data?.code === code) return true;
      throw refusal;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('apiKeys.create / list / revoke', () => {
  it('shows the key once as bst_<prefix>_<secret>; the list never carries it', async () => {
    const user = await signUp(a);
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const created = await user.client.apiKeys.create.mutate({ name: ' nightly digest ', scopes: ['contacts:read', 'contacts:read', 'preferences:read'], expiresAt });
    const [, prefix, secret] = KEY.exec(created.key) ?? [];
    expect(prefix).toBe(created.prefix);
    expect(Buffer.from(secret!, 'base64url')).toHaveLength(32);
    expect(created).toMatchObject({ name: 'nightly digest', scopes: ['contacts:read', 'preferences:read'], expiresAt: new Date(expiresAt).toISOString() });

    const list = await user.client.apiKeys.list.query();
    expect(list).toEqual([
      { id: created.id, name: 'nightly digest', scopes: ['contacts:read', 'preferences:read'], prefix, createdAt: created.createdAt, expiresAt: created.expiresAt, lastUsedAt: null, revokedAt: null },
    ]);
    expect(JSON.stringify(list)).not.toContain(secret);
    // Only an HMAC of the secret is stored.
    const rows = await a.deps.sql`select * from api_keys where id = ${created.id}`;
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows[0]?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('validates name, scopes and expiry', async () => {
    const user = await signUp(a);
    const refusal = await refusalOf(user.client.apiKeys.create.mutate({ name: '', scopes: [] }));
    expect(refusal).toMatchObject({ code: 'BAD_REQUEST', reason: 'validation_failed', fieldErrors: { name: [expect.any(String)], scopes: [expect.any(String)] } });
    expect((await refusalOf(user.client.apiKeys.create.mutate({ name: 'x', scopes: ['contacts:admin' as 'contacts:read'] })))?.reason).toBe('validation_failed');
    expect((await refusalOf(user.client.apiKeys.create.mutate({ name: 'x'.repeat(101), scopes: ['contacts:read'] })))?.fieldErrors).toHaveProperty('name');
    const past = new Date(Date.now() - 1000).toISOString();
    const tooFar = new Date(Date.now() + 400 * 86_400_000).toISOString();
    for (const expiresAt of [past, tooFar, 'tomorrow']) {
      expect((await refusalOf(user.client.apiKeys.create.mutate({ name: 'x', scopes: ['contacts:read'], expiresAt })))?.fieldErrors).toHaveProperty('expiresAt');
    }
  });

  it('revoking another user\'s key is NOT_FOUND and leaves it working', async () => {
    const owner = await signUp(a);
    const other = await signUp(a);
    const key = await keyFor(owner, ['contacts:read']);
    expect(await refusalOf(other.client.apiKeys.revoke.mutate({ id: key.id }))).toMatchObject({ code: 'NOT_FOUND', reason: 'api_key_not_found' });
    await expect(a.client({ accessToken: key.key }).contacts.list.query({})).resolves.toMatchObject({ items: [] });
    expect(await other.client.apiKeys.list.query()).toEqual([]);
  });

  it('needs a signed-in user', async () => {
    expect((await refusalOf(a.client().apiKeys.list.query()))?.code).toBe('UNAUTHORIZED');
    expect((await refusalOf(a.client().apiKeys.create.mutate({ name: 'x', scopes: ['contacts:read'] })))?.code).toBe('UNAUTHORIZED');
  });
});

describe('authenticating with an API key', () => {
  it('acts as the owner with only the key\'s scopes', async () => {
    const user = await signUp(a);
    const contact = await user.client.contacts.create.mutate({ name: 'Ada Lovelace', email: 'ada@example.com' });
    const reader = a.client({ accessToken: (await keyFor(user, ['contacts:read'])).key });
    expect((await reader.contacts.list.query({})).items.map((item) => item.id)).toEqual([contact.id]);
    expect((await reader.contacts.get.query({ id: contact.id })).name).toBe('Ada Lovelace');
    expect((await reader.contacts.list.query({ search: 'lovel' })).items).toHaveLength(1);
    const refusals = await Promise.all([
      refusalOf(reader.contacts.create.mutate({ name: 'Not allowed' })),
      refusalOf(reader.contacts.delete.mutate({ id: contact.id })),
      refusalOf(reader.preferences.get.query()),
      refusalOf(reader.assistant.usage.query()),
    ]);
    for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'FORBIDDEN', reason: 'insufficient_scope' });
    expect((await reader.contacts.get.query({ id: contact.id })).name).toBe('Ada Lovelace');
    const writer = a.client({ accessToken: (await keyFor(user, ['contacts:write', 'preferences:write'])).key });
    const created = await writer.contacts.create.mutate({ name: 'Grace Hopper' });
    expect(await refusalOf(writer.contacts.get.query({ id: created.id }))).toMatchObject({ code: 'FORBIDDEN', reason: 'insufficient_scope' });
    expect((await writer.preferences.update.mutate({ theme: 'dark' })).theme).toBe('dark');
    expect((await user.client.contacts.list.query({})).items).toHaveLength(2);
  });

  it('cannot manage keys, sessions, passwords or the second factor, whatever its scopes', async () => {
    const user = await signUp(a);
    const all = await keyFor(user, ['contacts:read', 'contacts:write', 'preferences:read', 'preferences:write', 'assistant:use', 'webhooks:manage']);
    const client = a.client({ accessToken: all.key });
    const refusals = await Promise.all([
      refusalOf(client.apiKeys.list.query()),
      refusalOf(client.apiKeys.create.mutate({ name: 'escalate', scopes: ['contacts:read'] })),
      refusalOf(client.apiKeys.revoke.mutate({ id: all.id })),
      refusalOf(client.auth.me.query()),
      refusalOf(client.auth.sessions.list.query()),
      refusalOf(client.auth.logoutAll.mutate()),
      refusalOf(client.auth.changePassword.mutate({ currentPassword: STRONG_PASSWORD, newPassword: `${STRONG_PASSWORD}-new` })),
      refusalOf(client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD })),
      refusalOf(client.admin.users.disable.mutate({ id: user.id, reason: 'api key test' })),
    ]);
    for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'FORBIDDEN', reason: 'api_key_not_allowed' });
    // Nothing changed: the password still signs in, the key still exists unrevoked.
    await expect(a.client().auth.login.mutate({ email: user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' })).resolves.toMatchObject({ status: 'authenticated' });
    expect((await user.client.apiKeys.list.query())[0]?.revokedAt).toBeNull();
  });

  it('refuses a wrong secret, an unknown prefix and a malformed key as UNAUTHORIZED', async () => {
    const user = await signUp(a);
    const key = await keyFor(user, ['contacts:read']);
    const wrongSecret = `bst_${key.prefix}_${'A'.repeat(43)}`;
    for (const token of [wrongSecret, `bst_ZZZZZZZZ_${'A'.repeat(43)}`, 'bst_short', `${key.key}x`]) {
      expect(await refusalOf(a.client({ accessToken: token }).contacts.list.query({}))).toMatchObject({ code: 'UNAUTHORIZED', reason: 'invalid_api_key' });
    }
    await expect(a.client({ accessToken: key.key }).contacts.list.query({})).resolves.toBeDefined();
  });

  it('a key revoked on one instance is refused by the other within 2 s', async () => {
    const user = await signUp(a);
    const key = await keyFor(user, ['contacts:read']);
    const onB = b.client({ accessToken: key.key });
    // B has verified the key and cached it for a minute.
    await onB.contacts.list.query({});
    await onB.contacts.list.query({});
    await user.client.apiKeys.revoke.mutate({ id: key.id });
    expect(await refusedWithin(() => onB.contacts.list.query({}), 'UNAUTHORIZED', 2000)).toBe(true);
    expect((await refusalOf(onB.contacts.list.query({})))?.reason).toBe('api_key_revoked');
    // At once on the instance that revoked it.
    expect((await refusalOf(a.client({ accessToken: key.key }).contacts.list.query({})))?.reason).toBe('api_key_revoked');
    expect((await user.client.apiKeys.list.query())[0]?.revokedAt).toEqual(expect.any(String));
  });

  it('an expired key is refused on every instance as soon as it expires', async () => {
    const user = await signUp(a);
    const key = await keyFor(user, ['contacts:read'], { expiresAt: new Date(Date.now() + 1500).toISOString() });
    const clients = [a, b].map((server) => server.client({ accessToken: key.key }));
    for (const client of clients) await client.contacts.list.query({});
    for (const client of clients) expect(await refusedWithin(() => client.contacts.list.query({}), 'UNAUTHORIZED', 3000)).toBe(true);
    for (const client of clients) expect((await refusalOf(client.contacts.list.query({})))?.reason).toBe('api_key_expired');
  });

  it('a disabled owner\'s keys stop working on every instance', async () => {
    const admin = await signUp(a);
    await a.deps.sql`update users set role = 'admin' where id = ${admin.id}`;
    const user = await signUp(a);
    const key = await keyFor(user, ['contacts:read']);
    const onB = b.client({ accessToken: key.key });
    await onB.contacts.list.query({});
    await admin.client.admin.users.disable.mutate({ id: user.id, reason: 'api key test' });
    expect(await refusedWithin(() => onB.contacts.list.query({}), 'UNAUTHORIZED', 2000)).toBe(true);
  });

  it('writes last use at most once a minute per key, batched: no write per request', async () => {
    const user = await signUp(a);
    const keys = await Promise.all([keyFor(user, ['preferences:read']), keyFor(user, ['preferences:read']), keyFor(user, ['preferences:read'])]);
    const clients = keys.map((key) => a.client({ accessToken: key.key }));
    await Promise.all(clients.map((client) => client.preferences.get.query())); // warm the caches
    await lastUseStored(a, user.id, 3); // the first uses are written
    const writesBefore = await metricValue(a, 'bastion_api_key_last_used_writes_total');
    const statementsBefore = await metricValue(a, 'bastion_db_statements_total');
    for (let round = 0; round < 20; round++) await Promise.all(clients.map((client) => client.preferences.get.query()));
    await Promise.all(Array.from({ length: 60 }, (_, i) => clients[i % 3]!.preferences.get.query()));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // 120 calls by three keys: no last-use write at all (each was written under a minute ago), and
    // far fewer statements than calls (the metrics sampler's own included): no write per request.
    expect((await metricValue(a, 'bastion_api_key_last_used_writes_total')) - writesBefore).toBe(0);
    expect((await metricValue(a, 'bastion_db_statements_total')) - statementsBefore).toBeLessThanOrEqual(20);
    const listed = await user.client.apiKeys.list.query();
    for (const key of listed) expect(key.lastUsedAt).toEqual(expect.any(String));
  });

  it('the first uses of many keys share one UPDATE', async () => {
    const user = await signUp(a);
    const keys = await Promise.all(Array.from({ length: 5 }, () => keyFor(user, ['preferences:read'])));
    const writesBefore = await metricValue(a, 'bastion_api_key_last_used_writes_total');
    await Promise.all(keys.map((key) => a.client({ accessToken: key.key }).preferences.get.query()));
    await lastUseStored(a, user.id, 5);
    expect((await metricValue(a, 'bastion_api_key_last_used_writes_total')) - writesBefore).toBe(1);
  });

  it('records creation, revocation and refusals as security events, with the prefix and never the secret in logs', async () => {
    const user = await signUp(a);
    const key = await keyFor(user, ['contacts:read']);
    const client = a.client({ accessToken: key.key });
    await refusalOf(client.auth.me.query());
    await refusalOf(client.auth.me.query()); // the same refusal within a minute is recorded once
    await refusalOf(client.contacts.create.mutate({ name: 'x' }));
    await user.client.apiKeys.revoke.mutate({ id: key.id });
    await refusalOf(client.contacts.list.query({}));
    const events = await a.deps.sql<{ type: string; details: { prefix?: string; reason?: string } }[]>`
      select type, details from security_events where user_id = ${user.id} and type like 'api_key_%' order by created_at, id`;
    expect(events.map((event) => [event.type, event.details.reason ?? null])).toEqual([
      ['api_key_created', null],
      ['api_key_refused', 'api_key_not_allowed'],
      ['api_key_refused', 'insufficient_scope'],
      ['api_key_revoked', null],
      ['api_key_refused', 'api_key_revoked'],
    ]);
    for (const event of events) expect(event.details.prefix).toBe(key.prefix);
    const securityLog = await user.client.auth.securityLog.query({});
    expect(JSON.stringify(securityLog)).not.toContain(key.key);
    const logs = a.logs.join('');
    expect(logs).toContain(key.prefix);
    expect(logs).not.toContain(KEY.exec(key.key)![2]);
  });
});

describe('every procedure of the router', () => {
  const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { access?: string; scopes?: readonly string[] } } }>).filter(
    ([, procedure]) => procedure._def.meta?.access !== 'public',
  );

  /** The raw answer's error data: a query as GET, a mutation as POST, a subscription as GET (SSE). */
  async function call(path: string, type: string, token: string) {
    const headers = { authorization: `Bearer ${token}` };
    const response =
      type === 'mutation'
        ? await fetch(`${a.url}/trpc/${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })
        : await fetch(`${a.url}/trpc/${path}?input=${encodeURIComponent('{}')}`, { headers });
    const text = await response.text();
    if (type === 'subscription') return { status: response.status, reason: /"reason":"([a-z_]+)"/.exec(text)?.[1] };
    return { status: response.status, reason: (JSON.parse(text) as { error?: { data?: { reason?: string } } }).error?.data?.reason };
  }

  it('refuses a key with every scope where no scope is declared, and a key with none of the declared ones', async () => {
    const user = await signUp(a);
    await a.deps.sql`update users set email_verified_at = now() where id = ${user.id}`;
    const all = await keyFor(user, ['contacts:read', 'contacts:write', 'preferences:read', 'preferences:write', 'assistant:use', 'webhooks:manage']);
    const none = await keyFor(user, ['webhooks:manage']);
    const unscoped = procedures.filter(([, procedure]) => !procedure._def.meta?.scopes);
    const scoped = procedures.filter(([, procedure]) => procedure._def.meta?.scopes && !procedure._def.meta.scopes.includes('webhooks:manage'));
    expect(unscoped.length).toBeGreaterThan(15);
    expect(scoped.length).toBeGreaterThan(10);
    for (const [path, procedure] of unscoped) {
      expect({ path, ...(await call(path, procedure._def.type, all.key)) }).toMatchObject({ path, reason: 'api_key_not_allowed' });
    }
    for (const [path, procedure] of scoped) {
      expect({ path, ...(await call(path, procedure._def.type, none.key)) }).toMatchObject({ path, reason: 'insufficient_scope' });
    }
  });
});

describe('the apikey.default rate limit', () => {
  let limited: TestServer;

  beforeAll(async () => {
    limited = await startTestServer({ RATE_LIMITS: '*=100000/60,apikey.default=5/60' });
  });

  afterAll(async () => {
    await limited?.close();
  });

  it('counts each key on its own, on top of the user\'s own limits', async () => {
    const user = await signUp(limited);
    const [first, second] = [await keyFor(user, ['contacts:read']), await keyFor(user, ['contacts:read'])];
    const results = await Promise.all(Array.from({ length: 12 }, () => refusalOf(limited.client({ accessToken: first.key }).contacts.list.query({})).catch(() => null)));
    // refusalOf throws on success: null marks an answered call.
    expect(results.filter((result) => result === null)).toHaveLength(5);
    expect(results.filter((result) => result?.reason === 'rate_limited')).toHaveLength(7);
    // Another key of the same user, and the user's own session, are not affected.
    await expect(limited.client({ accessToken: second.key }).contacts.list.query({})).resolves.toBeDefined();
    await expect(user.client.contacts.list.query({})).resolves.toBeDefined();
    const response = await fetch(`${limited.url}/trpc/contacts.list?input=${encodeURIComponent('{}')}`, { headers: { authorization: `Bearer ${first.key}` } });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.headers.get('ratelimit-policy')).toContain('"apikey.default"');
  });
});

describe('the audit log', () => {
  it('holds exactly one entry for a key created and one for it revoked, with the prefix and never the secret', async () => {
    const user = await signUp(a);
    const key = await user.client.apiKeys.create.mutate({ name: 'audited', scopes: ['contacts:read'] });
    await user.client.apiKeys.revoke.mutate({ id: key.id });
    const rows = await a.deps.sql<{ action: string; detail: Record<string, unknown> }[]>`
      select action, detail from audit_log where subject_id = ${user.id} and action like 'api_key.%' order by seq`;
    expect(rows.map((row) => row.action)).toEqual(['api_key.created', 'api_key.revoked']);
    expect(rows.map((row) => row.detail.prefix)).toEqual([key.prefix, key.prefix]);
    expect(JSON.stringify(rows)).not.toContain(key.key.slice(key.key.lastIndexOf('_') + 1));
  });
});
