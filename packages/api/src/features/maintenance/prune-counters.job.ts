import { lte, sql } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import type { JobWorker, QueueDefinition } from '../../lib/job-queue.ts';
import { pruneThrottles } from '../retention/pruners.ts';

/** The longest window a sign-in throttle row counts in (the lockout's failure memory, the daily cap). */
const THROTTLE_RETENTION_SECONDS = 86_400;

export const pruneCountersQueue: QueueDefinition = {
  name: 'prune-counters',
  retryLimit: 2,
  retryDelay: 60,
  retryDelayMax: 300,
  deleteAfterSeconds: 3600,
  schedule: '*/5 * * * *',
};

/**
 * Kept apart from the daily retention job: rate-limit windows expire by the minute and the table
 * is written on every call, so it is pruned every 5 minutes. One job for every counter table, instead of a cleanup timer per limiter in every process:
 * expired rate-limit windows, and sign-in throttle rows whose window has passed and which hold no
 * live lock.
 */
export async function pruneCounters(db: Database, throttleSeconds = THROTTLE_RETENTION_SECONDS): Promise<{ rateLimits: number; throttles: number }> {
  const rateLimits = await db.delete(schema.rateLimits).where(lte(schema.rateLimits.expire, sql`now()`)).returning({ key: schema.rateLimits.key });
  return { rateLimits: rateLimits.length, throttles: await pruneThrottles(db, throttleSeconds) };
}

/** Throttle rows follow the retention table's `auth_throttle` age; rate-limit windows their own expiry. */
export function pruneCountersWorker(db: Database, throttleSeconds: number | null = THROTTLE_RETENTION_SECONDS): JobWorker<Record<string, never>> {
  return { queue: pruneCountersQueue, handle: async () => void (await pruneCounters(db, throttleSeconds ?? Number.MAX_SAFE_INTEGER)) };
}
