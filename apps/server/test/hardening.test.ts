import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

const APP_ORIGIN = 'http://app.example.test';
const PARTNER_ORIGIN = 'http://partner.example.test';
let server: TestServer;
let cookieHeader: string;

beforeAll(async () => {
  server = await startTestServer({ APP_ORIGIN, CORS_ORIGINS: PARTNER_ORIGIN, BODY_LIMIT_BYTES: '2048', METRICS_TOKEN: 'metrics-token-for-tests-0123' });
  const email = uniqueEmail();
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  const login = await post(server, 'auth.login', { email, password: STRONG_PASSWORD });
  cookieHeader = login.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
});

afterAll(async () => {
  await server.close();
});

async function me(headers: Record<string, string>) {
  return fetch(`${server.url}/trpc/auth.me`, { headers });
}

describe('CORS', () => {
  it('allows the app origin and listed origins with credentials', async () => {
    for (const origin of [APP_ORIGIN, PARTNER_ORIGIN]) {
      const preflight = await fetch(`${server.url}/trpc/auth.logout`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });

  it('never reflects a foreign origin or "null"', async () => {
    for (const origin of ['http://evil.example.test', 'null', `${APP_ORIGIN}.evil.test`]) {
      const preflight = await fetch(`${server.url}/trpc/auth.logout`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const get = await me({ origin, cookie: cookieHeader });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('CSRF', () => {
  it('the session cookie works for a same-origin JSON call', async () => {
    const response = await post(server, 'auth.logout', {}, { cookie: cookieHeader, origin: APP_ORIGIN });
    expect(response.status).toBe(200);
  });

  it('a cross-site text/plain POST carrying the cookie does not execute', async () => {
    const { cookie, sessionId } = await freshCookieSession();
    const response = await fetch(`${server.url}/trpc/auth.logout`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', cookie, origin: 'http://evil.example.test' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect(await sessionRevoked(sessionId)).toBe(false);
  });

  it('a form POST carrying the cookie does not execute, with or without an Origin', async () => {
    const { cookie, sessionId } = await freshCookieSession();
    for (const headers of [{ origin: 'http://evil.example.test' }, {}]) {
      const response = await fetch(`${server.url}/trpc/auth.logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
        body: 'a=1',
      });
      expect(response.status).toBe(415);
    }
    expect(await sessionRevoked(sessionId)).toBe(false);
  });

  it('a JSON POST with the cookie from a foreign origin, or with no origin, does not execute', async () => {
    const { cookie, sessionId } = await freshCookieSession();
    const foreign = await post(server, 'auth.logout', {}, { cookie, origin: 'http://evil.example.test' });
    expect(foreign.status).toBe(403);
    const missing = await post(server, 'auth.logout', {}, { cookie });
    expect(missing.status).toBe(403);
    expect(await sessionRevoked(sessionId)).toBe(false);
  });

  it('a GET cannot run a mutation', async () => {
    const { cookie, sessionId } = await freshCookieSession();
    const response = await fetch(`${server.url}/trpc/auth.logout`, { headers: { cookie } });
    expect(response.status).toBe(405);
    expect(await sessionRevoked(sessionId)).toBe(false);
  });
});

describe('request limits', () => {
  it('answers 413 to a body over the limit and keeps serving', async () => {
    const response = await post(server, 'auth.login', { email: 'a@example.com', password: 'x'.repeat(10_000) });
    expect(response.status).toBe(413);
    expect(response.text).not.toContain('x'.repeat(100));
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('refuses a batch above the cap', async () => {
    const paths = Array(11).fill('health.ping').join(',');
    const response = await fetch(`${server.url}/trpc/${paths}?batch=1&input={}`);
    expect(response.status).toBe(400);
    const ok = await fetch(`${server.url}/trpc/${Array(10).fill('health.ping').join(',')}?batch=1&input={}`);
    expect(ok.status).toBe(200);
  });

  it('answers malformed JSON with 400 and a request id', async () => {
    const response = await post(server, 'auth.login', '{"email":');
    expect(response.status).toBe(400);
    expect((response.json as { error: { data: { requestId: string } } }).error.data.requestId).toBe(response.headers.get('x-request-id'));
  });
});

describe('request id', () => {
  it('echoes a well-formed incoming id and replaces a malformed one', async () => {
    const good = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-1234567890' } });
    expect(good.headers.get('x-request-id')).toBe('trace-1234567890');
    const bad = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('appears in the error body and the log line of the request', async () => {
    const response = await post(server, 'auth.me', {}, { 'x-request-id': 'req-abcdef123456' });
    expect(response.text).toContain('req-abcdef123456');
    expect(server.logs.some((line) => line.includes('"requestId":"req-abcdef123456"'))).toBe(true);
  });
});

describe('security headers', () => {
  it('sends a strict CSP, no X-Powered-By, nosniff and frame denial', async () => {
    const response = await fetch(`${server.url}/healthz`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // Not production: no HSTS on plain HTTP development servers.
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('metrics', () => {
  it('requires the metrics token and exposes request, in-flight and pool metrics', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    await server.client().health.ping.query();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests-0123' } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/bastion_trpc_request_duration_seconds_count\{procedure="health.ping",type="query",code="200"\} \d+/);
    expect(text).toContain('bastion_http_requests_in_flight');
    expect(text).toMatch(/bastion_db_pool_connections\{state="total"\} [1-9]/);
    expect(text).toContain('bastion_db_pool_max 10');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('labels unknown procedures as "unknown"', async () => {
    const response = await fetch(`${server.url}/trpc/no.such.procedure${Math.random()}`);
    expect(response.status).toBe(404);
    // The observation is recorded when the response finishes, which can trail the client by a tick.
    let text = '';
    for (let attempt = 0; attempt < 20 && !text.includes('procedure="unknown"'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests-0123' } })).text();
    }
    expect(text).not.toContain('no.such.procedure');
    expect(text).toContain('procedure="unknown"');
  });
});

describe('health', () => {
  it('healthz and readyz answer 200 with JSON', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { pool: 'ok', database: 'ok', migrations: 'ok' }, pool: { size: 10, capacity: 20, inUse: 0, waiting: 0 } });
    expect((await server.client().health.ping.query()).status).toBe('ok');
  });
});

async function freshCookieSession() {
  const email = uniqueEmail();
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  const login = await post(server, 'auth.login', { email, password: STRONG_PASSWORD });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const userId = (login.json as { result: { data: { user: { id: string } } } }).result.data.user.id;
  const [session] = await server.deps.sql<{ id: string }[]>`select id from sessions where user_id = ${userId}`;
  return { cookie, sessionId: session!.id };
}

async function sessionRevoked(sessionId: string) {
  const [row] = await server.deps.sql<{ revoked: boolean }[]>`select revoked_at is not null as revoked from sessions where id = ${sessionId}`;
  return row!.revoked;
}
