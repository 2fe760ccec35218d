import { and, inArray, isNotNull, lt, lte, sql } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import type { JobWorker, QueueDefinition } from '../../lib/job-queue.ts';

export const pruneWebhooksQueue: QueueDefinition = {
  name: 'webhook-prune',
  retryLimit: 2,
  retryDelay: 60,
  retryDelayMax: 600,
  deleteAfterSeconds: 3600,
  schedule: '41 * * * *',
};

/**
 * WEBHOOK_DELIVERY_RETENTION_DAYS: finished deliveries (succeeded or dead: their bodies hold
 * contact data), published outbox events and incoming receipts older than that are deleted;
 * rotated-out secrets past their overlap are dropped. Deliveries still being retried are kept.
 */
export async function pruneWebhooks(db: Database, retentionDays: number) {
  const cutoff = sql`now() - make_interval(secs => ${retentionDays * 86_400})`;
  const d = schema.webhookDeliveries;
  const deliveries = await db
    .delete(d)
    .where(and(lt(d.createdAt, cutoff), inArray(d.status, ['succeeded', 'dead'])))
    .returning({ id: d.id });
  const o = schema.outboxEvents;
  const events = await db
    .delete(o)
    .where(and(isNotNull(o.publishedAt), lt(o.publishedAt, cutoff)))
    .returning({ id: o.id });
  const r = schema.webhookReceipts;
  const receipts = await db.delete(r).where(lt(r.receivedAt, cutoff)).returning({ webhookId: r.webhookId });
  const e = schema.webhookEndpoints;
  const secrets = await db
    .update(e)
    .set({ previousSecretSealed: null, previousSecretExpiresAt: null })
    .where(lte(e.previousSecretExpiresAt, sql`now()`))
    .returning({ id: e.id });
  return { deliveries: deliveries.length, events: events.length, receipts: receipts.length, secrets: secrets.length };
}

export function pruneWebhooksWorker(db: Database, retentionDays: number): JobWorker<Record<string, never>> {
  return { queue: pruneWebhooksQueue, handle: async () => void (await pruneWebhooks(db, retentionDays)) };
}
