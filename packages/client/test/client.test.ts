import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BastionError, callOptions, createBastionClient, TRPCClientError, type RetryBudgetOptions } from '@bastion/client';
import { startTestServer, type TestServer } from '../../../test/helpers/server.ts';
import { signUp } from '../../../test/helpers/users.ts';
import { startFlakyProxy, type FlakyProxy } from './flaky-proxy.ts';

let server: TestServer;
let proxy: FlakyProxy;
let user: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startFlakyProxy(server.url);
  user = await signUp(server, 'Client Tester');
  await user.client.contacts.create.mutate({ name: 'Ada Lovelace', email: 'ada@example.com' });
});

afterEach(() => proxy.reset());

afterAll(async () => {
  await proxy.close();
  await server.close();
});

interface Tuning {
  retries?: number;
  timeoutMs?: number;
  maxRetryAfterMs?: number;
  retryBudget?: RetryBudgetOptions;
  accessToken?: string;
}

/** The client under test, through the proxy, with short backoffs so retries take milliseconds. */
const viaProxy = ({ accessToken = user.accessToken, ...tuning }: Tuning = {}) =>
  createBastionClient({ baseUrl: proxy.url, accessToken, backoff: { baseMs: 5, maxMs: 20 }, ...tuning });

async function rejectionOf(promise: Promise<unknown>): Promise<BastionError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(BastionError);
  // Existing callers that test for TRPCClientError and read error.data keep working.
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as BastionError;
}

const unavailable = { status: 503, body: 'Service Unavailable' } as const;

describe('retries', () => {
  it('retries a query after 503s, 502 and 504 and returns the real answer; the server saw every attempt with one request id', async () => {
    const failures = [unavailable, { status: 502 }, { status: 504 }, unavailable] as const;
    proxy.script((call, nth) => (call.procedure === 'contacts.list' && nth < failures.length ? failures[nth]! : 'forward'));
    const client = viaProxy({ retries: 4 });

    const page = await client.contacts.list.query({});

    expect(page.items.map((contact) => contact.name)).toEqual(['Ada Lovelace']);
    const attempts = proxy.callsTo('contacts.list');
    expect(attempts).toHaveLength(5);
    expect(new Set(attempts.map((call) => call.headers['x-request-id'])).size).toBe(1);
  });

  it('never retries a mutation, not even on 503: the server saw exactly one call', async () => {
    proxy.script((call) => (call.procedure === 'contacts.create' ? unavailable : 'forward'));
    const client = viaProxy({ retries: 5 });

    const error = await rejectionOf(client.contacts.create.mutate({ name: 'Never Twice' }));

    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503, reason: 'unexpected_response', attempts: 1 });
    expect(proxy.callsTo('contacts.create')).toHaveLength(1);
  });

  it('never retries a mutation after a network failure, because the server may have acted on it', async () => {
    // The server creates the contact, then the connection dies before the answer reaches the client.
    proxy.script((call) => (call.procedure === 'contacts.create' ? 'forward-then-reset' : 'forward'));
    const client = viaProxy({ retries: 5 });

    const error = await rejectionOf(client.contacts.create.mutate({ name: 'Acted Once' }));

    expect(error).toMatchObject({ code: 'NETWORK_ERROR', httpStatus: null, reason: 'network_error', attempts: 1 });
    expect(proxy.callsTo('contacts.create')).toHaveLength(1);
    // No answer carried the server's id: the error has the one the client sent.
    expect(error.requestId).toBe(proxy.callsTo('contacts.create')[0]!.headers['x-request-id']);
    const created = await user.client.contacts.list.query({ search: 'Acted Once' });
    expect(created.items).toHaveLength(1);
  });

  it('retries a query after a network failure (connection reset)', async () => {
    proxy.script((call, nth) => (call.procedure === 'contacts.list' && nth < 2 ? 'reset' : 'forward'));

    const page = await viaProxy().contacts.list.query({ search: 'Ada' });

    expect(page.items).toHaveLength(1);
    expect(proxy.callsTo('contacts.list')).toHaveLength(3);
  });

  it('does not retry a refusal (4xx other than 429)', async () => {
    const error = await rejectionOf(viaProxy({ accessToken: 'not-a-valid-token' }).contacts.list.query({}));

    expect(error).toMatchObject({ code: 'UNAUTHORIZED', attempts: 1 });
    expect(proxy.callsTo('contacts.list')).toHaveLength(1);
  });

  it('gives up after `retries` and reports the last answer', async () => {
    proxy.script((call) => (call.procedure === 'contacts.list' ? unavailable : 'forward'));

    const error = await rejectionOf(viaProxy({ retries: 2 }).contacts.list.query({}));

    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503, attempts: 3 });
    expect(proxy.callsTo('contacts.list')).toHaveLength(3);
  });
});

describe('Retry-After', () => {
  it('waits the seconds a real 429 from the server asks for, then succeeds', async () => {
    // health.ping allows one call per 2 s on this server: the second call is refused with Retry-After.
    const limited = await startTestServer({ RATE_LIMITS: 'health.ping=1/2' });
    const limitedProxy = await startFlakyProxy(limited.url);
    try {
      const client = createBastionClient({ baseUrl: limitedProxy.url, backoff: { baseMs: 5, maxMs: 20 } });
      await client.health.ping.query();

      await expect(client.health.ping.query()).resolves.toMatchObject({ status: 'ok' });

      const [, refused, retried] = limitedProxy.callsTo('health.ping');
      expect(limitedProxy.callsTo('health.ping').map((call) => call.status)).toEqual([200, 429, 200]);
      const seconds = Number(refused!.retryAfter);
      expect(seconds).toBeGreaterThanOrEqual(1);
      // A lower bound only: the client may never come back earlier than the server asked.
      expect(retried!.arrivedAt - refused!.arrivedAt).toBeGreaterThanOrEqual(seconds * 1000 - 10);
    } finally {
      await limitedProxy.close();
      await limited.close();
    }
  });

  it('understands an HTTP-date Retry-After', async () => {
    let notBefore = 0;
    proxy.script((call, nth) => {
      if (call.procedure !== 'contacts.list' || nth > 0) return 'forward';
      const at = new Date(Date.now() + 1500);
      notBefore = call.arrivedAt + (Math.floor(at.getTime() / 1000) * 1000 - Date.now());
      return { status: 429, headers: { 'retry-after': at.toUTCString() } };
    });

    await viaProxy().contacts.list.query({});

    const [, retried] = proxy.callsTo('contacts.list');
    expect(retried!.arrivedAt).toBeGreaterThanOrEqual(notBefore - 10);
  });

  it('does not wait for a Retry-After beyond the cap: fails at once and exposes retryAfterSeconds', async () => {
    proxy.script((call) => (call.procedure === 'contacts.list' ? { status: 429, headers: { 'retry-after': '120' } } : 'forward'));

    const error = await rejectionOf(viaProxy({ maxRetryAfterMs: 30_000 }).contacts.list.query({}));

    expect(error).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429, retryAfterSeconds: 120, attempts: 1 });
    expect(proxy.callsTo('contacts.list')).toHaveLength(1);
  });

  it('does not wait past the call deadline', async () => {
    proxy.script((call) => (call.procedure === 'contacts.list' ? { status: 503, headers: { 'retry-after': '5' } } : 'forward'));

    const error = await rejectionOf(viaProxy({ timeoutMs: 2_000 }).contacts.list.query({}));

    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5, attempts: 1 });
  });
});

describe('timeouts and cancellation', () => {
  it('a per-call timeout ends the call and aborts the request on the wire', async () => {
    proxy.script((call) => (call.procedure === 'contacts.list' ? 'hang' : 'forward'));
    const client = viaProxy({ timeoutMs: 60_000 });

    const error = await rejectionOf(client.contacts.list.query({}, callOptions({ timeoutMs: 1_000 })));

    expect(error).toMatchObject({ code: 'TIMEOUT', reason: 'timeout', httpStatus: null, attempts: 1 });
    // The proxy saw the client close the connection: the request was aborted, not abandoned.
    await proxy.callsTo('contacts.list')[0]!.closedByClient;
    expect(proxy.callsTo('contacts.list')).toHaveLength(1);
  });

  it('the client-wide timeoutMs applies to mutations too (never retried)', async () => {
    proxy.script((call) => (call.procedure === 'contacts.create' ? 'hang' : 'forward'));

    const error = await rejectionOf(viaProxy({ timeoutMs: 1_000 }).contacts.create.mutate({ name: 'Slow' }));

    expect(error).toMatchObject({ code: 'TIMEOUT', attempts: 1 });
    await proxy.callsTo('contacts.create')[0]!.closedByClient;
  });

  it("the caller's AbortSignal aborts a call in flight", async () => {
    proxy.script((call) => (call.procedure === 'contacts.list' ? 'hang' : 'forward'));
    const controller = new AbortController();
    const arrived = proxy.nextArrival('contacts.list');

    const pending = rejectionOf(viaProxy().contacts.list.query({}, { signal: controller.signal }));
    const call = await arrived;
    controller.abort();

    expect(await pending).toMatchObject({ code: 'CLIENT_CLOSED_REQUEST', reason: 'aborted', httpStatus: null });
    await call.closedByClient;
  });

  it("the caller's AbortSignal ends a call waiting to retry, and no retry is sent", async () => {
    proxy.script((call) => (call.procedure === 'contacts.list' ? { status: 503, headers: { 'retry-after': '20' } } : 'forward'));
    const controller = new AbortController();
    const arrived = proxy.nextArrival('contacts.list');

    const pending = rejectionOf(viaProxy({ timeoutMs: 60_000 }).contacts.list.query({}, { signal: controller.signal }));
    await arrived;
    // Let the 503 reach the client, which then waits 20 s before its retry.
    await new Promise((resolve) => setTimeout(resolve, 250));
    controller.abort();

    expect(await pending).toMatchObject({ code: 'CLIENT_CLOSED_REQUEST', attempts: 1 });
    expect(proxy.callsTo('contacts.list')).toHaveLength(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const error = await rejectionOf(viaProxy().contacts.list.query({}, { signal: AbortSignal.abort() }));

    expect(error.code).toBe('CLIENT_CLOSED_REQUEST');
    expect(proxy.callsTo('contacts.list')).toHaveLength(0);
  });
});

describe('retry budget', () => {
  it('stops retrying once the budget is spent', async () => {
    proxy.script((call) => (call.procedure === 'contacts.list' ? unavailable : 'forward'));
    const client = viaProxy({ retries: 3, retryBudget: { ratio: 0, floor: 2 } });

    expect(await rejectionOf(client.contacts.list.query({}))).toMatchObject({ attempts: 3 });
    expect(await rejectionOf(client.contacts.list.query({}))).toMatchObject({ attempts: 1 });
    expect(proxy.callsTo('contacts.list')).toHaveLength(4);
  });

  it('20 concurrent calls to a down server send 30 requests (10 retries of the default budget), not 80', async () => {
    proxy.script((call) => (call.procedure === 'contacts.list' ? unavailable : 'forward'));
    const client = viaProxy({ retries: 3 });

    const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.contacts.list.query({})));

    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(proxy.callsTo('contacts.list')).toHaveLength(30);
  });

  it('is refilled by calls: with ratio 0.5, every two calls earn one retry', async () => {
    const client = viaProxy({ retries: 3, retryBudget: { ratio: 0.5, floor: 1 } });
    proxy.script((call) => (call.procedure === 'contacts.list' ? unavailable : 'forward'));
    // Spends the one saved token (floor 1): 2 attempts. The next two calls deposit 0.5 each.
    await rejectionOf(client.contacts.list.query({}));
    proxy.script(() => 'forward');
    await client.contacts.list.query({});
    proxy.script((call) => (call.procedure === 'contacts.list' ? unavailable : 'forward'));
    // The success's deposit and this call's make 1 token: one retry.
    expect(await rejectionOf(client.contacts.list.query({}))).toMatchObject({ attempts: 2 });
    expect(proxy.callsTo('contacts.list')).toHaveLength(2 + 1 + 2);
  });
});

describe('errors from the real server', () => {
  it('a validation error fills code, httpStatus, reason, fieldErrors and the request id sent', async () => {
    const error = await rejectionOf(
      viaProxy().contacts.create.mutate({ name: '', email: 'not-an-email' }, callOptions({ requestId: 'svc-test-validation-1' })),
    );

    expect(error).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'validation_failed', requestId: 'svc-test-validation-1', retryAfterSeconds: null });
    expect(Object.keys(error.fieldErrors).sort()).toEqual(['email', 'name']);
    expect(error.fieldErrors.email).toEqual(['Enter a valid email address.']);
    expect(error.data?.requestId).toBe('svc-test-validation-1');
    expect(proxy.callsTo('contacts.create')[0]!.headers['x-request-id']).toBe('svc-test-validation-1');
  });

  it('UNAUTHORIZED carries the reason and the server-echoed request id', async () => {
    const error = await rejectionOf(viaProxy({ accessToken: 'not-a-valid-token' }).contacts.list.query({}));

    expect(error).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401, reason: expect.any(String), fieldErrors: {} });
    expect(error.requestId).toBe(proxy.callsTo('contacts.list')[0]!.headers['x-request-id']);
  });

  it('NOT_FOUND for an id that is not the caller’s', async () => {
    const error = await rejectionOf(viaProxy().contacts.get.query({ id: '00000000-0000-4000-8000-000000000000' }));

    expect(error).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
  });
});

describe('request ids and credentials', () => {
  it('sends a fresh well-formed x-request-id per call', async () => {
    const client = viaProxy();
    await client.contacts.list.query({});
    await client.contacts.list.query({});

    const ids = proxy.callsTo('contacts.list').map((call) => call.headers['x-request-id']);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('refuses a request id the server would replace, without sending anything', async () => {
    const error = await rejectionOf(viaProxy().contacts.list.query({}, callOptions({ requestId: 'bad id' })));

    expect(error).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_request_id', httpStatus: null });
    expect(proxy.callsTo('contacts.list')).toHaveLength(0);
  });

  it('an access token travels as Authorization: Bearer, also from a function', async () => {
    const client = createBastionClient({ baseUrl: proxy.url, accessToken: async () => user.accessToken });

    await expect(client.auth.me.query()).resolves.toMatchObject({ user: { id: user.id } });

    expect(proxy.callsTo('auth.me')[0]!.headers.authorization).toBe(`Bearer ${user.accessToken}`);
  });

  it('an API key travels as Authorization: Bearer', async () => {
    // A key the server does not know: refused, but it shows how the key is sent.
    const apiKey = 'bst_abcd1234_notarealsecret';
    const client = createBastionClient({ baseUrl: proxy.url, apiKey });

    expect(await rejectionOf(client.contacts.list.query({}))).toMatchObject({ code: 'UNAUTHORIZED' });

    expect(proxy.callsTo('contacts.list')[0]!.headers.authorization).toBe(`Bearer ${apiKey}`);
  });

  it('refuses something that is not an API key as apiKey', () => {
    expect(() => createBastionClient({ baseUrl: proxy.url, apiKey: user.accessToken })).toThrow(TypeError);
  });
});
