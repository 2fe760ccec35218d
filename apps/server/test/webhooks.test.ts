import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, verifiedWith, webhookIdOf, type Receiver } from '../../../test/helpers/webhook-receiver.ts';
import { refusalOf, startTestServer, STRONG_PASSWORD, tokensOf, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';
import { metricValue } from '../../../test/helpers/users.ts';

/**
 * Webhooks end to end: the real server (workers and dispatcher in-process), a real receiver on
 * loopback checking every signature with the reference implementation, a compressed schedule.
 */
let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  server = await startTestServer({
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_SCHEDULE: '1,1',
    WEBHOOK_DISPATCH_INTERVAL_MS: '100',
    JOB_SUPERVISE_INTERVAL_S: '1',
  });
});

afterAll(async () => {
  if (process.env.DEBUG_LOGS) (await import("node:fs")).writeFileSync("/tmp/wh-logs.txt", server.logs.join(""));
  await server?.close();
  await receiver?.close();
});

async function signIn(options: { verified?: boolean } = {}) {
  const email = uniqueEmail('hooks');
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  if (options.verified !== false) await server.deps.sql`update users set email_verified_at = now() where email = ${email}`;
  const login = tokensOf(await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
  return { email, id: login.user.id, client: server.client({ accessToken: login.accessToken ?? '' }) };
}

type User = Awaited<ReturnType<typeof signIn>>;

/** Requests to one path, so that tests sharing the receiver do not see each other's. */
const at = (path: string) => receiver.received.filter((request) => request.path === path);

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const deliveriesOf = (user: User, endpointId: string) => user.client.webhooks.deliveries.list.query({ endpointId }).then((page) => page.items);

describe('endpoints', () => {
  let alice: User;
  let bob: User;
  beforeAll(async () => {
    [alice, bob] = await Promise.all([signIn(), signIn()]);
  });

  it('creates an endpoint with a whsec_ secret shown once, sealed at rest', async () => {
    const created = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/crud'), events: ['contact.created', 'contact.created'], description: 'CRM sync' });
    expect(Object.keys(created).sort()).toEqual(['createdAt', 'description', 'enabled', 'events', 'id', 'secret', 'url']);
    expect(created).toMatchObject({ url: receiver.url('/crud'), events: ['contact.created'], description: 'CRM sync', enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const got = await alice.client.webhooks.endpoints.get.query({ id: created.id });
    expect(Object.keys(got).sort()).toEqual(['createdAt', 'description', 'disabledReason', 'enabled', 'events', 'id', 'url']);
    expect(got.disabledReason).toBeNull();
    expect((await alice.client.webhooks.endpoints.list.query()).map((endpoint) => endpoint.id)).toContain(created.id);

    // Not plaintext: a key-ring ciphertext that does not contain the secret.
    const [row] = await server.deps.sql<{ secret_sealed: string }[]>`select secret_sealed from webhook_endpoints where id = ${created.id}`;
    expect(row!.secret_sealed).toMatch(/^v1\./);
    expect(row!.secret_sealed).not.toContain(created.secret.slice(6, 20));
    // Never logged (every test server's logs are also checked for any whsec_ value on close).
    expect(server.logs.join('')).not.toContain(created.secret.slice(6));
  });

  it('updates, disables, enables and deletes', async () => {
    const created = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/crud2'), events: ['*'] });
    const updated = await alice.client.webhooks.endpoints.update.mutate({ id: created.id, events: ['contact.deleted'], description: 'only deletes', enabled: false });
    expect(updated).toMatchObject({ events: ['contact.deleted'], description: 'only deletes', enabled: false, disabledReason: 'manual' });
    expect(await alice.client.webhooks.endpoints.update.mutate({ id: created.id, enabled: true })).toMatchObject({ enabled: true, disabledReason: null });
    await alice.client.webhooks.endpoints.delete.mutate({ id: created.id });
    expect((await refusalOf(alice.client.webhooks.endpoints.get.query({ id: created.id })))?.code).toBe('NOT_FOUND');
  });

  it('refuses unknown event types and empty lists with field errors', async () => {
    const unknown = await refusalOf(alice.client.webhooks.endpoints.create.mutate({ url: receiver.url(), events: ['contact.exploded' as 'contact.created'] }));
    expect(unknown?.code).toBe('BAD_REQUEST');
    expect(unknown?.fieldErrors).toHaveProperty(['events.0']);
    const none = await refusalOf(alice.client.webhooks.endpoints.create.mutate({ url: receiver.url(), events: [] }));
    expect(none?.fieldErrors).toHaveProperty('events');
  });

  it("answers NOT_FOUND for another user's endpoint and deliveries, on every procedure", async () => {
    const own = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/private'), events: ['*'] });
    const test = await alice.client.webhooks.endpoints.test.mutate({ id: own.id });
    const calls = [
      () => bob.client.webhooks.endpoints.get.query({ id: own.id }),
      () => bob.client.webhooks.endpoints.update.mutate({ id: own.id, enabled: false }),
      () => bob.client.webhooks.endpoints.delete.mutate({ id: own.id }),
      () => bob.client.webhooks.endpoints.rotateSecret.mutate({ id: own.id }),
      () => bob.client.webhooks.endpoints.test.mutate({ id: own.id }),
      () => bob.client.webhooks.deliveries.list.query({ endpointId: own.id }),
      () => bob.client.webhooks.deliveries.replay.mutate({ deliveryId: test.id }),
    ];
    for (const call of calls) expect((await refusalOf(call()))?.code).toBe('NOT_FOUND');
    expect(await bob.client.webhooks.endpoints.list.query()).toEqual([]);
    expect((await alice.client.webhooks.endpoints.get.query({ id: own.id })).enabled).toBe(true);
  });

  it('needs a verified email address', async () => {
    const unverified = await signIn({ verified: false });
    expect(await refusalOf(unverified.client.webhooks.endpoints.list.query())).toMatchObject({ code: 'FORBIDDEN', reason: 'email_not_verified' });
  });

  it('lists the event types', async () => {
    const types = await alice.client.webhooks.eventTypes.query();
    expect(types.map((entry) => entry.type)).toEqual(['contact.created', 'contact.updated', 'contact.deleted']);
    expect(types.every((entry) => entry.description.length > 0)).toBe(true);
  });
});

describe('delivery', () => {
  it('delivers a contact created, updated and deleted as three signed events, webhook-id = the event id', async () => {
    const alice = await signIn();
    const bob = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/contacts'), events: ['*'] });
    const deletesOnly = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/deletes'), events: ['contact.deleted'] });
    await bob.client.webhooks.endpoints.create.mutate({ url: receiver.url('/bob'), events: ['*'] });

    const contact = await alice.client.contacts.create.mutate({ name: 'Ada Lovelace', email: 'ada@example.com' });
    await alice.client.contacts.update.mutate({ id: contact.id, phone: '+44 20 7946 0000' });
    await alice.client.contacts.delete.mutate({ id: contact.id });

    await receiver.waitFor(() => at('/contacts').length >= 3 && at('/deletes').length >= 1);
    const events = at('/contacts').map((request) => ({ id: webhookIdOf(request), event: verifiedWith(endpoint.secret, request), headers: request.headers }));
    expect(events.map((entry) => entry.event.type).sort()).toEqual(['contact.created', 'contact.deleted', 'contact.updated']);
    const outbox = await server.deps.sql<{ id: string; type: string }[]>`select id, type from outbox_events where aggregate_id = ${contact.id}`;
    expect(events.map((entry) => entry.id).sort()).toEqual(outbox.map((row) => row.id).sort());
    for (const { event, headers } of events) {
      expect(headers['content-type']).toBe('application/json');
      expect(Number(headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 300);
      expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);
    }
    const created = events.find((entry) => entry.event.type === 'contact.created')!.event;
    expect(created.data).toMatchObject({ contact: { id: contact.id, name: 'Ada Lovelace', email: 'ada@example.com' } });
    expect(events.find((entry) => entry.event.type === 'contact.updated')!.event.data).toMatchObject({ changed: ['phone'] });
    expect(events.find((entry) => entry.event.type === 'contact.deleted')!.event.data).toEqual({ id: contact.id });

    // Subscriptions filter; another owner's endpoint hears nothing of Alice's contacts.
    expect(at('/deletes').map((request) => verifiedWith(deletesOnly.secret, request).type)).toEqual(['contact.deleted']);
    expect(at('/bob')).toEqual([]);

    const log = await until(() => deliveriesOf(alice, endpoint.id), (items) => items.length === 3 && items.every((item) => item.status === 'succeeded'));
    for (const item of log) {
      expect(Object.keys(item).sort()).toEqual(['attempts', 'durationMs', 'eventId', 'eventType', 'id', 'lastAttemptAt', 'nextAttemptAt', 'responseBodyExcerpt', 'responseStatus', 'status']);
      expect(item).toMatchObject({ attempts: 1, responseStatus: 200, responseBodyExcerpt: 'ok', nextAttemptAt: null });
    }
  });

  it('retries a failing receiver on the schedule and succeeds with the same webhook-id', async () => {
    const alice = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/flaky'), events: ['contact.created'] });
    let failures = 0;
    receiver.setReply((request) => (request.path === '/flaky' && failures++ < 2 ? { status: 500, body: 'try later' } : { status: 200, body: 'ok' }));
    try {
      await alice.client.contacts.create.mutate({ name: 'Flaky' });
      const [delivery] = await until(() => deliveriesOf(alice, endpoint.id), (items) => items[0]?.status === 'succeeded');
      expect(delivery).toMatchObject({ attempts: 3, status: 'succeeded', responseStatus: 200 });
      const requests = at('/flaky');
      expect(requests).toHaveLength(3);
      expect(new Set(requests.map(webhookIdOf)).size).toBe(1);
      for (const request of requests) expect(verifiedWith(endpoint.secret, request).type).toBe('contact.created');
      // Each attempt is signed anew, with its own timestamp; the gaps follow the (compressed) schedule.
      expect(requests[1]!.receivedAt - requests[0]!.receivedAt).toBeGreaterThanOrEqual(900);
    } finally {
      receiver.setReply(() => ({ status: 200, body: 'ok' }));
    }
  });

  it('turns a delivery dead after the schedule, keeps it visible, and replays it with the same webhook-id', async () => {
    const alice = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/down'), events: ['contact.created'] });
    let up = false;
    receiver.setReply((request) => (request.path === '/down' && !up ? { status: 503, body: 'down for maintenance' } : { status: 200, body: 'ok' }));
    const deadBefore = await metricValue(server, 'bastion_webhook_dead_letters_total');
    try {
      await alice.client.contacts.create.mutate({ name: 'Dead letter' });
      const [dead] = await until(() => alice.client.webhooks.deliveries.list.query({ endpointId: endpoint.id, status: 'dead' }).then((page) => page.items), (items) => items.length === 1);
      // The first attempt and one per schedule step (1,1).
      expect(dead).toMatchObject({ status: 'dead', attempts: 3, responseStatus: 503, responseBodyExcerpt: 'down for maintenance', nextAttemptAt: null });
      expect(await metricValue(server, 'bastion_webhook_dead_letters_total')).toBe(deadBefore + 1);
      expect(at('/down')).toHaveLength(3);

      up = true;
      const replayed = await alice.client.webhooks.deliveries.replay.mutate({ deliveryId: dead!.id });
      expect(replayed.status).toBe('pending');
      const [done] = await until(() => deliveriesOf(alice, endpoint.id), (items) => items[0]?.status === 'succeeded');
      expect(done).toMatchObject({ id: dead!.id, attempts: 4, responseStatus: 200 });
      const requests = at('/down');
      expect(requests).toHaveLength(4);
      expect(new Set(requests.map(webhookIdOf))).toEqual(new Set([dead!.eventId]));
      expect(verifiedWith(endpoint.secret, requests[3]!).type).toBe('contact.created');
      // A delivery still being retried cannot be replayed: its next attempt is on its way.
      await server.deps.sql`update webhook_deliveries set status = 'failed' where id = ${dead!.id}`;
      expect(await refusalOf(alice.client.webhooks.deliveries.replay.mutate({ deliveryId: dead!.id }))).toMatchObject({ code: 'CONFLICT', reason: 'webhook_delivery_in_progress' });
    } finally {
      receiver.setReply(() => ({ status: 200, body: 'ok' }));
    }
  });

  it('disables an endpoint at once on 410 Gone and emails its owner', async () => {
    const alice = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/gone'), events: ['contact.created'] });
    receiver.setReply((request) => (request.path === '/gone' ? { status: 410, body: 'gone' } : { status: 200, body: 'ok' }));
    try {
      await alice.client.contacts.create.mutate({ name: 'Gone' });
      const disabled = await until(() => alice.client.webhooks.endpoints.get.query({ id: endpoint.id }), (value) => !value.enabled);
      expect(disabled.disabledReason).toBe('gone');
      const [delivery] = await deliveriesOf(alice, endpoint.id);
      expect(delivery).toMatchObject({ status: 'dead', attempts: 1, responseStatus: 410 });
      const mail = await until(() => server.deps.sql<{ subject: string; text: string }[]>`select subject, text from mail_outbox where "to" = ${alice.email}`, (rows) => rows.some((row) => row.subject.includes('webhook')));
      expect(mail.find((row) => row.subject.includes('webhook'))!.text).toContain(receiver.url('/gone'));
      // Nothing more is sent to it.
      await alice.client.contacts.create.mutate({ name: 'After gone' });
      await until(() => server.deps.sql<{ n: number }[]>`select count(*)::int as n from outbox_events where owner_id = ${alice.id} and published_at is null`, (rows) => rows[0]!.n === 0);
      expect(await deliveriesOf(alice, endpoint.id)).toHaveLength(1);
      expect(at('/gone')).toHaveLength(1);
      expect(await metricValue(server, 'bastion_webhook_endpoints_disabled_total{reason="gone"}')).toBeGreaterThanOrEqual(1);
    } finally {
      receiver.setReply(() => ({ status: 200, body: 'ok' }));
    }
  });

  it('disables an endpoint whose deliveries have all failed for 5 days, and emails its owner', async () => {
    const alice = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/failing'), events: ['contact.created'] });
    // Five days of failures, as the endpoint's health records them.
    await server.deps.sql`update webhook_endpoints set failing_since = now() - interval '5 days 1 minute' where id = ${endpoint.id}`;
    receiver.setReply((request) => (request.path === '/failing' ? { status: 500 } : { status: 200, body: 'ok' }));
    try {
      await alice.client.contacts.create.mutate({ name: 'Still failing' });
      const disabled = await until(() => alice.client.webhooks.endpoints.get.query({ id: endpoint.id }), (value) => !value.enabled);
      expect(disabled.disabledReason).toBe('failing');
      await until(() => server.deps.sql<{ text: string }[]>`select text from mail_outbox where "to" = ${alice.email}`, (rows) => rows.some((row) => row.text.includes('failed for 5 days')));
      // Enabling starts the clock afresh.
      await alice.client.webhooks.endpoints.update.mutate({ id: endpoint.id, enabled: true });
      const [row] = await server.deps.sql<{ failing_since: Date | null }[]>`select failing_since from webhook_endpoints where id = ${endpoint.id}`;
      expect(row!.failing_since).toBeNull();
    } finally {
      receiver.setReply(() => ({ status: 200, body: 'ok' }));
    }
  });

  it('signs with both secrets during the rotation overlap, then with the new one only', async () => {
    const alice = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/rotate'), events: ['contact.created'] });
    const { secret } = await alice.client.webhooks.endpoints.rotateSecret.mutate({ id: endpoint.id });
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(endpoint.secret);

    const during = await alice.client.webhooks.endpoints.test.mutate({ id: endpoint.id });
    expect(during).toMatchObject({ status: 'succeeded', eventType: 'webhook.test', attempts: 1, responseStatus: 200 });
    const overlap = at('/rotate').at(-1)!;
    const signatures = String(overlap.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((entry) => entry.startsWith('v1,'))).toBe(true);
    // Each secret alone verifies the request (the reference checks any one signature).
    expect(verifiedWith(secret, overlap).type).toBe('webhook.test');
    expect(verifiedWith(endpoint.secret, overlap).type).toBe('webhook.test');
    for (const [index, key] of [secret, endpoint.secret].entries()) {
      const single = { ...overlap, headers: { ...overlap.headers, 'webhook-signature': signatures[index] } };
      expect(verifiedWith(key, single).type).toBe('webhook.test');
    }

    // After the 24 hours, the old secret is dropped.
    await server.deps.sql`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = ${endpoint.id}`;
    await alice.client.webhooks.endpoints.test.mutate({ id: endpoint.id });
    const after = at('/rotate').at(-1)!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifiedWith(secret, after).type).toBe('webhook.test');
    expect(() => verifiedWith(endpoint.secret, after)).toThrow();
  });

  it('answers a test send with its delivery, failures included, without touching the endpoint', async () => {
    const alice = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/test-410'), events: ['contact.created'] });
    receiver.setReply((request) => (request.path === '/test-410' ? { status: 410, body: 'x'.repeat(200_000) } : { status: 200, body: 'ok' }));
    try {
      const delivery = await alice.client.webhooks.endpoints.test.mutate({ id: endpoint.id });
      // At most 1 KB of the body is kept (of the 64 KB read).
      expect(delivery).toMatchObject({ status: 'dead', attempts: 1, responseStatus: 410, responseBodyExcerpt: 'x'.repeat(1024) });
      expect(delivery.durationMs).toBeGreaterThanOrEqual(0);
      expect((await alice.client.webhooks.endpoints.get.query({ id: endpoint.id })).enabled).toBe(true);
    } finally {
      receiver.setReply(() => ({ status: 200, body: 'ok' }));
    }
  });

  it('never follows a redirect: a 3xx fails the attempt and its target hears nothing', async () => {
    const alice = await signIn();
    const inside = await startReceiver();
    try {
      const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/redirect'), events: ['contact.created'] });
      receiver.setReply((request) => (request.path === '/redirect' ? { status: 307, headers: { location: inside.url('/admin') } } : { status: 200, body: 'ok' }));
      const delivery = await alice.client.webhooks.endpoints.test.mutate({ id: endpoint.id });
      expect(delivery).toMatchObject({ status: 'dead', responseStatus: 307 });
      expect(inside.received).toHaveLength(0);
    } finally {
      receiver.setReply(() => ({ status: 200, body: 'ok' }));
      await inside.close();
    }
  });

  it('pages the delivery log with a keyset cursor, newest first, filtered by status', async () => {
    const alice = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/pages'), events: ['contact.created'] });
    const sent = [];
    for (let i = 0; i < 7; i++) sent.push((await alice.client.webhooks.endpoints.test.mutate({ id: endpoint.id })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await alice.client.webhooks.deliveries.list.query({ endpointId: endpoint.id, limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...sent].reverse());
    expect((await alice.client.webhooks.deliveries.list.query({ endpointId: endpoint.id, status: 'dead' })).items).toEqual([]);
    expect((await refusalOf(alice.client.webhooks.deliveries.list.query({ endpointId: endpoint.id, cursor: 'bm9wZQ' })))?.reason).toBe('invalid_cursor');
  });

  it('lets a slow endpoint hold at most WEBHOOK_ENDPOINT_CONCURRENCY attempts; the other endpoints are not delayed', async () => {
    const alice = await signIn();
    const slow = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/slow'), events: ['contact.created'] });
    await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/fast'), events: ['contact.created'] });
    receiver.setReply((request) => (request.path === '/slow' ? 'hang' : { status: 200, body: 'ok' }));
    try {
      for (let i = 0; i < 5; i++) await alice.client.contacts.create.mutate({ name: `Busy ${i}` });
      // Every event reaches the fast endpoint while the slow one holds its requests open…
      await receiver.waitFor(() => at('/fast').length === 5);
      // …and the slow one never had more than its 2 slots (the default per-endpoint bound).
      expect(at('/slow').length).toBeGreaterThanOrEqual(1);
      expect(at('/slow').length).toBeLessThanOrEqual(2);
      expect(receiver.holding()).toBeLessThanOrEqual(2);
      receiver.setReply(() => ({ status: 200, body: 'ok' }));
      receiver.release();
      const [first] = await deliveriesOf(alice, slow.id);
      expect(first).toBeDefined();
      await until(() => deliveriesOf(alice, slow.id), (items) => items.length === 5 && items.every((item) => item.status === 'succeeded'));
      expect(new Set(at('/slow').map(webhookIdOf)).size).toBe(5);
    } finally {
      receiver.setReply(() => ({ status: 200, body: 'ok' }));
      receiver.release();
    }
  });

  it('counts attempts by outcome and their latency', async () => {
    expect(await metricValue(server, 'bastion_webhook_deliveries_total{outcome="succeeded"}')).toBeGreaterThan(0);
    expect(await metricValue(server, 'bastion_webhook_attempt_duration_seconds_count{outcome="succeeded"}')).toBeGreaterThan(0);
    expect(await metricValue(server, 'bastion_webhook_events_dispatched_total')).toBeGreaterThan(0);
  });
});

describe('the reference implementation', () => {
  it('agrees with our signature byte for byte', async () => {
    const alice = await signIn();
    const endpoint = await alice.client.webhooks.endpoints.create.mutate({ url: receiver.url('/oracle'), events: ['*'] });
    await alice.client.webhooks.endpoints.test.mutate({ id: endpoint.id });
    const request = at('/oracle').at(-1)!;
    const expected = new Webhook(endpoint.secret).sign(webhookIdOf(request), new Date(Number(request.headers['webhook-timestamp']) * 1000), request.body);
    expect(request.headers['webhook-signature']).toBe(expected);
  });
});

describe('the SSRF guard behind the API (no WEBHOOK_ALLOW_PRIVATE)', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer();
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('refuses private, literal, credentialed and odd-port URLs at creation and update, under the url field', async () => {
    const email = uniqueEmail('ssrf');
    await strict.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    await strict.deps.sql`update users set email_verified_at = now() where email = ${email}`;
    const login = tokensOf(await strict.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
    const client = strict.client({ accessToken: login.accessToken ?? '' });
    for (const url of ['http://127.0.0.1:8080/', 'http://2130706433:8080/', 'http://0177.0.0.1:8080/', 'http://[::ffff:127.0.0.1]:8080/', 'http://169.254.169.254/', 'http://localhost:9000/', 'https://user:pw@example.com/', 'https://example.com:22/']) {
      const refusal = await refusalOf(client.webhooks.endpoints.create.mutate({ url, events: ['*'] }));
      expect(refusal, url).toMatchObject({ code: 'BAD_REQUEST', reason: 'webhook_url_refused', fieldErrors: { url: [expect.any(String)] } });
    }
    expect(await client.webhooks.endpoints.list.query()).toEqual([]);
  });
});
