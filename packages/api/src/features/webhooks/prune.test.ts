import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { pruneWebhooks } from './prune.job.ts';

let handle: DbHandle;

beforeAll(async () => {
  handle = createDb({ url: await createTestDatabase(), poolMax: 2, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 });
});

afterAll(async () => {
  await handle?.close();
});

describe('pruneWebhooks (WEBHOOK_DELIVERY_RETENTION_DAYS)', () => {
  it('deletes finished deliveries, published events and receipts older than the retention; keeps the rest; drops expired old secrets', async () => {
    const sql = handle.sql;
    const [owner] = await sql<{ id: string }[]>`insert into users (email, password_hash) values (${`p-${randomUUID()}@example.com`}, 'x') returning id`;
    const ownerId = owner!.id;
    const endpointId = randomUUID();
    await sql`insert into webhook_endpoints (id, owner_id, url, events, secret_sealed, previous_secret_sealed, previous_secret_expires_at)
              values (${endpointId}, ${ownerId}, 'https://example.com/', ${['*']}, 'v1.a', 'v1.b', now() - interval '1 minute')`;
    const delivery = (status: string, age: string) =>
      sql`insert into webhook_deliveries (endpoint_id, owner_id, event_id, event_type, body, status, created_at)
          values (${endpointId}, ${ownerId}, gen_random_uuid(), 'contact.created', '{}', ${status}, now() - ${age}::interval) returning id`;
    await delivery('succeeded', '31 days');
    await delivery('dead', '31 days');
    const [retrying] = await delivery('failed', '31 days');
    const [recent] = await delivery('succeeded', '29 days');
    await sql`insert into outbox_events (type, aggregate_id, owner_id, payload, published_at) values
              ('contact.created', gen_random_uuid(), ${ownerId}, '{}', now() - interval '31 days'),
              ('contact.created', gen_random_uuid(), ${ownerId}, '{}', now() - interval '1 day'),
              ('contact.created', gen_random_uuid(), ${ownerId}, '{}', null)`;
    await sql`insert into webhook_receipts (receiver, webhook_id, received_at) values ('t', 'old', now() - interval '31 days'), ('t', 'new', now())`;

    expect(await pruneWebhooks(handle.db, 30)).toEqual({ deliveries: 2, events: 1, receipts: 1, secrets: 1 });
    const left = await sql<{ id: string }[]>`select id from webhook_deliveries order by created_at`;
    expect(left.map((row) => row.id).sort()).toEqual([retrying!.id, recent!.id].sort());
    const [events] = await sql<{ n: number }[]>`select count(*)::int as n from outbox_events`;
    expect(events!.n).toBe(2);
    const [endpoint] = await sql<{ previous_secret_sealed: string | null }[]>`select previous_secret_sealed from webhook_endpoints where id = ${endpointId}`;
    expect(endpoint!.previous_secret_sealed).toBeNull();
  });
});
