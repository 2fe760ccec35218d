import { and, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import type { JobWorker, QueueDefinition } from '../../lib/job-queue.ts';

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
 * One job for every counter table, instead of a cleanup timer per limiter in every process:
 * expired rate-limit windows, and sign-in throttle rows whose window has passed and which hold no
 * live lock.
 */
export async function pruneCounters(db: Database): Promise<{ rateLimits: number; throttles: number }> {
  const rateLimits = await db.delete(schema.rateLimits).where(lte(schema.rateLimits.expire, sql`now()`)).returning({ key: schema.rateLimits.key });
  const t = schema.authThrottle;
  const throttles = await db
    .delete(t)
    .where(and(lt(t.windowStartedAt, sql`now() - make_interval(secs => ${THROTTLE_RETENTION_SECONDS})`), or(isNull(t.lockedUntil), lte(t.lockedUntil, sql`now()`))))
    .returning({ key: t.key });
  return { rateLimits: rateLimits.length, throttles: throttles.length };
}

export function pruneCountersWorker(db: Database): JobWorker<Record<string, never>> {
  return { queue: pruneCountersQueue, handle: async () => void (await pruneCounters(db)) };
}
