import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { createLogger } from '../../logging.ts';
import { startJobs, type JobQueue, type RunningJobs } from '../../lib/job-queue.ts';
import { deliverWebhookQueue } from './deliver.ts';
import { dispatchOutbox } from './dispatcher.ts';

/** The dispatcher against a real database and a real pg-boss, many copies at once. */
let handle: DbHandle;
let jobs: RunningJobs;
let ownerId: string;
const endpointIds = [randomUUID(), randomUUID()];

beforeAll(async () => {
  const url = await createTestDatabase();
  handle = createDb({ url, poolMax: 12, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 });
  jobs = await startJobs({ url, logger: createLogger({ level: 'silent' }), queues: [deliverWebhookQueue] });
  const sql = handle.sql;
  const [owner] = await sql<{ id: string }[]>`insert into users (email, password_hash, name) values (${`d-${randomUUID()}@example.com`}, 'x', 'D') returning id`;
  ownerId = owner!.id;
  for (const id of endpointIds) {
    await sql`insert into webhook_endpoints (id, owner_id, url, events, secret_sealed) values (${id}, ${ownerId}, 'https://example.com/hook', ${['*']}, 'v1.sealed')`;
  }
  // A disabled endpoint and another owner's: neither gets anything.
  await sql`insert into webhook_endpoints (id, owner_id, url, events, secret_sealed, enabled) values (${randomUUID()}, ${ownerId}, 'https://example.com/off', ${['*']}, 'v1.sealed', false)`;
});

afterAll(async () => {
  await jobs?.stop(1000);
  await handle?.close();
});

async function addEvents(count: number) {
  await handle.sql`
    insert into outbox_events (type, aggregate_id, owner_id, payload)
    select 'contact.created', gen_random_uuid(), ${ownerId}, jsonb_build_object('n', n) from generate_series(1, ${count}) as n`;
}

const counts = async () => {
  const [row] = await handle.sql<{ deliveries: number; distinct_pairs: number; unpublished: number; jobs: number }[]>`
    select (select count(*)::int from webhook_deliveries) as deliveries,
           (select count(distinct (endpoint_id, event_id))::int from webhook_deliveries) as distinct_pairs,
           (select count(*)::int from outbox_events where published_at is null) as unpublished,
           (select count(*)::int from pgboss.job where name = ${deliverWebhookQueue.name}) as jobs`;
  return row!;
};

describe('dispatchOutbox', () => {
  it('fans each event out exactly once with ten dispatchers racing, one job per delivery', async () => {
    await addEvents(300);
    const dispatched = await Promise.all(
      Array.from({ length: 10 }, async () => {
        let total = 0;
        for (let n; (n = await dispatchOutbox({ db: handle.db, jobs: jobs.queue }, 7)) > 0; ) total += n;
        return total;
      }),
    );
    // Every event was taken by exactly one dispatcher: the counts add up to the events, no more.
    expect(dispatched.reduce((sum, n) => sum + n, 0)).toBe(300);
    expect(dispatched.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(await counts()).toEqual({ deliveries: 600, distinct_pairs: 600, unpublished: 0, jobs: 600 });
  });

  it('writes nothing when it fails in the middle: no delivery, no job, the events still unpublished', async () => {
    const before = await counts();
    await addEvents(5);
    let sent = 0;
    const failing: JobQueue = {
      async send(...args) {
        if (++sent === 4) throw new Error('crash between two deliveries');
        return jobs.queue.send(...args);
      },
    };
    await expect(dispatchOutbox({ db: handle.db, jobs: failing })).rejects.toThrow('crash between');
    expect(await counts()).toEqual({ ...before, unpublished: 5 });
    // The next run (another instance, after the crash) fans them out, once.
    expect(await dispatchOutbox({ db: handle.db, jobs: jobs.queue })).toBe(5);
    expect(await counts()).toEqual({ deliveries: before.deliveries + 10, distinct_pairs: before.deliveries + 10, unpublished: 0, jobs: before.jobs + 10 });
  });
});
