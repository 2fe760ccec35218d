import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { schema, withTransaction, type Database } from '@bastion/db';
import type { JobQueue } from '../../lib/job-queue.ts';
import { queueAttempt } from './deliver.ts';
import { subscribes } from './event-types.ts';
import { webhookMetrics } from './metrics.ts';

const o = schema.outboxEvents;
const e = schema.webhookEndpoints;
const d = schema.webhookDeliveries;

export const DISPATCH_BATCH = 100;

/** The JSON every attempt of a delivery sends, byte for byte. */
export function deliveryBody(event: { type: string; occurredAt: Date; payload: unknown }): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), data: event.payload });
}

/**
 * Fans the oldest unpublished outbox events out to deliveries, in ONE transaction: the events are
 * locked with `FOR UPDATE SKIP LOCKED` (a concurrent dispatcher takes other events, never these),
 * a delivery row and its first attempt's job are inserted per subscribed, enabled endpoint of the
 * event's owner, and the events are marked published. A crash anywhere rolls all of it back, so an
 * event is fanned out exactly once (ADR 071); the unique (endpoint, event) index is the backstop.
 */
export async function dispatchOutbox(deps: { db: Database; jobs: JobQueue; metrics?: Registry }, batch = DISPATCH_BATCH): Promise<number> {
  const dispatched = await withTransaction(deps.db, async (tx) => {
    const events = await tx
      .select({ id: o.id, type: o.type, ownerId: o.ownerId, payload: o.payload, occurredAt: o.occurredAt })
      .from(o)
      .where(isNull(o.publishedAt))
      .orderBy(asc(o.occurredAt), asc(o.id))
      .limit(batch)
      .for('update', { skipLocked: true });
    if (events.length === 0) return 0;
    const owners = [...new Set(events.map((event) => event.ownerId))];
    const endpoints = await tx
      .select({ id: e.id, ownerId: e.ownerId, events: e.events })
      .from(e)
      .where(and(inArray(e.ownerId, owners), eq(e.enabled, true)));
    const rows = events.flatMap((event) =>
      endpoints
        .filter((endpoint) => endpoint.ownerId === event.ownerId && subscribes(endpoint.events, event.type))
        .map((endpoint) => ({ endpointId: endpoint.id, ownerId: event.ownerId, eventId: event.id, eventType: event.type, body: deliveryBody(event) })),
    );
    if (rows.length > 0) {
      const inserted = await tx.insert(d).values(rows).onConflictDoNothing().returning({ id: d.id, endpointId: d.endpointId });
      for (const delivery of inserted) await queueAttempt(deps.jobs, tx, delivery, 1);
    }
    await tx
      .update(o)
      .set({ publishedAt: sql`now()` })
      .where(inArray(o.id, events.map((event) => event.id)));
    return events.length;
  });
  if (dispatched > 0 && deps.metrics) webhookMetrics(deps.metrics).eventsDispatched.inc(dispatched);
  return dispatched;
}

/**
 * The dispatcher loop of a worker process: drains the outbox batch by batch, then waits
 * `intervalMs`. Several processes may run it at once (SKIP LOCKED shares the work).
 */
export function startDispatcher(deps: { db: Database; jobs: JobQueue; metrics?: Registry; logger: Logger; intervalMs: number }): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const log = deps.logger.child({ component: 'webhook-dispatcher' });
  const loop = (async () => {
    while (!stopped) {
      try {
        while (!stopped && (await dispatchOutbox(deps)) === DISPATCH_BATCH);
      } catch (error) {
        log.error({ err: error }, 'webhook dispatch failed; retrying');
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, deps.intervalMs);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
