import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { burstPings } from '../../../test/helpers/rate-limit.ts';
import { freePort, startServerProcess } from '../../../test/helpers/process.ts';
import { post, startTestServer, type TestServer } from '../../../test/helpers/server.ts';
import { signUp } from '../../../test/helpers/users.ts';

// The production policy table, except health.ping tightened to 50/min for the bursts.
const PRODUCTION_LIMITS = { RATE_LIMITS: 'health.ping=50/60' };

let direct: TestServer;
let behindProxy: TestServer;

beforeAll(async () => {
  [direct, behindProxy] = await Promise.all([startTestServer(PRODUCTION_LIMITS), startTestServer({ ...PRODUCTION_LIMITS, TRUST_PROXY: 'loopback' })]);
});

afterAll(async () => {
  await Promise.all([direct.close(), behindProxy.close()]);
});

const login = (server: TestServer, headers: Record<string, string> = {}) => post(server, 'auth.login', { email: 'nobody@example.com', password: 'not-the-password' }, headers);

describe('a refused call', () => {
  it('answers 429 with Retry-After, the IETF RateLimit headers and a stable reason (auth.login: 5/min per IP)', async () => {
    const first = await login(direct);
    expect(first.status).toBe(401);
    expect(first.headers.get('ratelimit-policy')).toBe('"auth.login";q=5;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"auth\.login";r=4;t=\d+$/);
    for (let i = 0; i < 4; i++) expect((await login(direct)).status).toBe(401);
    const refused = await login(direct);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-policy')).toBe('"auth.login";q=5;w=60');
    expect(refused.headers.get('ratelimit')).toBe(`"auth.login";r=0;t=${retryAfter}`);
    expect(refused.json).toMatchObject({ error: { data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, reason: 'rate_limited', retryAfterSeconds: retryAfter } } });
  });

  it('is answered before tRPC once the address is known to be over the limit, with the same answer', async () => {
    const limited = await startTestServer({ RATE_LIMITS: 'health.ping=2/60' });
    try {
      const ping = () => fetch(`${limited.url}/trpc/health.ping`);
      for (let i = 0; i < 2; i++) expect((await ping()).status).toBe(200);
      // The first refusal is decided by the procedure middleware (the store counts the call) ...
      const inTrpc = await ping();
      // ... every later one from memory, before the call is parsed.
      const early = await ping();
      const answer = async (response: Response) => ({
        status: response.status,
        headers: Object.fromEntries(['content-type', 'vary', 'ratelimit-policy', 'retry-after', 'x-content-type-options'].map((name) => [name, response.headers.get(name)])),
        body: JSON.parse((await response.text()).replace(/"requestId":"[^"]+"/, '"requestId":"…"').replace(/\d+ seconds/, 'N seconds').replace(/"retryAfterSeconds":\d+/, '"retryAfterSeconds":0')) as unknown,
      });
      const [first, later] = [await answer(inTrpc), await answer(early)];
      expect(first.status).toBe(429);
      expect({ ...later, headers: { ...later.headers, 'retry-after': null } }).toEqual({ ...first, headers: { ...first.headers, 'retry-after': null } });
      expect(Math.abs(Number(later.headers['retry-after']) - Number(first.headers['retry-after']))).toBeLessThanOrEqual(1);
      expect(early.headers.get('ratelimit')).toMatch(/^"health\.ping";r=0;t=\d+$/);
      // A batch, and a call on the wrong method, still go to tRPC and get tRPC's answers.
      expect((await fetch(`${limited.url}/trpc/health.ping,health.ping?batch=1&input={}`)).status).toBe(429);
      expect((await fetch(`${limited.url}/trpc/health.ping`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(405);
    } finally {
      await limited.close();
    }
  });

  it('limits auth.register to 3/min per IP', async () => {
    const register = (i: number) => post(direct, 'auth.register', { email: `limit-${i}-${Date.now()}@example.com`, password: 'x' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await register(i)).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
  });
});

describe('client IP', () => {
  it('ignores X-Forwarded-For from a client that is not a trusted proxy', async () => {
    // auth.login is already spent for 127.0.0.1 on this server: spoofed addresses do not help.
    for (const spoofed of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      expect((await login(direct, { 'x-forwarded-for': spoofed })).status).toBe(429);
    }
  });

  it('counts one IPv6 /64 as one client, so rotating addresses inside it gains nothing', async () => {
    for (let i = 1; i <= 5; i++) expect((await login(behindProxy, { 'x-forwarded-for': `2001:db8:5:5::${i}` })).status).toBe(401);
    expect((await login(behindProxy, { 'x-forwarded-for': '2001:db8:5:5:abcd::99' })).status).toBe(429);
    expect((await login(behindProxy, { 'x-forwarded-for': '2001:db8:5:6::1' })).status).toBe(401);
  });

  it('honours X-Forwarded-For from a trusted proxy (TRUST_PROXY=loopback)', async () => {
    for (let i = 0; i < 5; i++) expect((await login(behindProxy, { 'x-forwarded-for': '198.51.100.20' })).status).toBe(401);
    expect((await login(behindProxy, { 'x-forwarded-for': '198.51.100.20' })).status).toBe(429);
    expect((await login(behindProxy, { 'x-forwarded-for': '198.51.100.21' })).status).toBe(401);
  });
});

describe('atomicity on the Postgres store', () => {
  it('allows exactly 50 of 200 concurrent requests against a limit of 50', async () => {
    expect(await burstPings([direct.url], 200)).toEqual({ ok: 50, limited: 150, other: 0 });
  });

  it('allows exactly 50 of 200 concurrent requests split across two server processes', async () => {
    const databaseUrl = await createTestDatabase();
    const processes = await Promise.all([1, 2].map(() => startServerProcess({ ...PRODUCTION_LIMITS, DATABASE_URL: databaseUrl })));
    try {
      expect(await burstPings(processes.map((p) => p.url), 200)).toEqual({ ok: 50, limited: 150, other: 0 });
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  });
});

describe('a failing store', () => {
  it('is replaced by the in-memory insurance limiter, which keeps the limit (Redis unreachable)', async () => {
    const server = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, RATE_LIMITS: '*=100000/60,health.ping=3/60' });
    try {
      expect(server.deps.config.rateLimit.store).toBe('redis');
      expect(await burstPings([server.url], 5)).toEqual({ ok: 3, limited: 2, other: 0 });
      // Every call that reached the store failed over; refused keys may be answered from memory alone.
      const errors = /policy="health.ping"} (\d+)/.exec(await server.deps.metrics.getSingleMetricAsString('bastion_rate_limit_store_errors_total'));
      expect(Number(errors?.[1])).toBeGreaterThanOrEqual(4);
    } finally {
      await server.close();
    }
  });
});

describe('limits counted inside handlers', () => {
  it('are policies of the one table: RateLimit headers, their own message, and RATE_LIMITS overrides them (auth.changePassword)', async () => {
    const server = await startTestServer({ RATE_LIMITS: '*=100000/60,auth.changePassword=2/900' });
    try {
      const { accessToken } = await signUp(server);
      const attempt = () => post(server, 'auth.changePassword', { currentPassword: 'not-my-password', newPassword: 'another-long-passphrase-77' }, { authorization: `Bearer ${accessToken}` });
      expect((await attempt()).status).toBe(400);
      expect((await attempt()).status).toBe(400);
      const refused = await attempt();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('ratelimit-policy')).toBe('"auth.changePassword";q=2;w=900');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(800);
      expect(refused.json).toMatchObject({ error: { message: 'Too many attempts. Try again in 15 minutes.', data: { reason: 'rate_limited' } } });
    } finally {
      await server.close();
    }
  });
});
