import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { startWorkerProcess, type WorkerProcess } from '../../../test/helpers/process.ts';
import { startTestServer, STRONG_PASSWORD, tokensOf, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';
import { startReceiver, verifiedWith, webhookIdOf, type Receiver } from '../../../test/helpers/webhook-receiver.ts';

/**
 * Deliveries with real worker processes (`pnpm worker`) beside an API instance without workers:
 * one killed with SIGKILL in the middle of its deliveries, and two fanning out at once.
 */
const WEBHOOK_ENV = { WEBHOOK_ALLOW_PRIVATE: 'true', JOB_SUPERVISE_INTERVAL_S: '1', WEBHOOK_DISPATCH_INTERVAL_MS: '100', WEBHOOK_RETRY_SCHEDULE: '1,1,1' };

async function setUp() {
  const url = await createTestDatabase();
  const api = await startTestServer({ ...WEBHOOK_ENV, WORKERS: 'off' }, url);
  const email = uniqueEmail('workers');
  await api.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  await api.deps.sql`update users set email_verified_at = now() where email = ${email}`;
  const login = tokensOf(await api.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
  return { url, api, client: api.client({ accessToken: login.accessToken ?? '' }), userId: login.user.id };
}

async function until(check: () => Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const statusCounts = (api: TestServer) =>
  api.deps.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from webhook_deliveries group by status`.then((rows) =>
    Object.fromEntries(rows.map((row) => [row.status, row.n])),
  );

describe('a worker killed mid-delivery', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  let receiver: Receiver;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    env = await setUp();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await env?.api.close();
    await receiver?.close();
  });

  it('loses no event and duplicates none beyond at-least-once; the re-sent attempt keeps its webhook-id', { timeout: 120_000 }, async () => {
    const endpoint = await env.client.webhooks.endpoints.create.mutate({ url: receiver.url('/kill'), events: ['*'] });
    // The receiver holds every request open: the worker is mid-delivery when it dies.
    receiver.setReply(() => 'hang');
    for (let i = 0; i < 6; i++) await env.client.contacts.create.mutate({ name: `Contact ${i}` });
    const events = (await env.api.deps.sql<{ id: string }[]>`select id from outbox_events where owner_id = ${env.userId}`).map((row) => row.id);
    expect(events).toHaveLength(6);

    const doomed = await startWorkerProcess({ ...WEBHOOK_ENV, DATABASE_URL: env.url });
    workers.push(doomed);
    await receiver.waitFor((received) => received.length >= 1);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const inFlight = new Set(receiver.received.map(webhookIdOf));
    const receivedBeforeKill = receiver.received.length;

    receiver.setReply(() => ({ status: 200, body: 'ok' }));
    workers.push(await startWorkerProcess({ ...WEBHOOK_ENV, DATABASE_URL: env.url }));
    await until(async () => (await statusCounts(env.api)).succeeded === events.length);

    const afterKill = receiver.received.slice(receivedBeforeKill);
    // Every event arrived, signed, with its own event id as webhook-id, exactly once after the crash…
    expect(afterKill.map(webhookIdOf).sort()).toEqual([...events].sort());
    for (const request of afterKill) expect(verifiedWith(endpoint.secret, request).type).toBe('contact.created');
    // …and what was in flight when the worker died was sent again under the same webhook-id.
    expect(inFlight.size).toBeGreaterThanOrEqual(1);
    for (const id of inFlight) expect(events).toContain(id);
    expect(await statusCounts(env.api)).toEqual({ succeeded: events.length });
  });
});

describe('two worker instances', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  let receiver: Receiver;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    env = await setUp();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await env?.api.close();
    await receiver?.close();
  });

  it('fan each event out once', { timeout: 120_000 }, async () => {
    const endpoints = await Promise.all([
      env.client.webhooks.endpoints.create.mutate({ url: receiver.url('/a'), events: ['*'] }),
      env.client.webhooks.endpoints.create.mutate({ url: receiver.url('/b'), events: ['contact.created'] }),
    ]);
    const workerEnv = { ...WEBHOOK_ENV, DATABASE_URL: env.url, WEBHOOK_CONCURRENCY: '8', WEBHOOK_ENDPOINT_CONCURRENCY: '8' };
    workers.push(...(await Promise.all([startWorkerProcess(workerEnv), startWorkerProcess(workerEnv)])));
    // Events arrive while both dispatchers poll: bulk imports and concurrent single writes.
    await Promise.all([
      env.client.contacts.importMany.mutate({ contacts: Array.from({ length: 100 }, (_, i) => ({ name: `Imported ${i}` })) }),
      ...Array.from({ length: 20 }, (_, i) => env.client.contacts.create.mutate({ name: `Single ${i}` })),
    ]);
    const events = (await env.api.deps.sql<{ id: string }[]>`select id from outbox_events where owner_id = ${env.userId}`).map((row) => row.id);
    expect(events).toHaveLength(120);
    await until(async () => (await statusCounts(env.api)).succeeded === events.length * 2);

    for (const [index, path] of ['/a', '/b'].entries()) {
      const requests = receiver.received.filter((request) => request.path === path);
      expect(requests.map(webhookIdOf).sort()).toEqual([...events].sort());
      for (const request of requests.slice(0, 5)) expect(verifiedWith(endpoints[index]!.secret, request).type).toBe('contact.created');
    }
    // Both workers took part in the deliveries.
    for (const worker of workers) expect(worker.output()).toMatch(/"queue":"webhook-deliver".*"job done"/);
    const [unpublished] = await env.api.deps.sql<{ n: number }[]>`select count(*)::int as n from outbox_events where published_at is null`;
    expect(unpublished!.n).toBe(0);
  });
});
