import { eq, sql } from 'drizzle-orm';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';

type Db = Pick<Context, 'db'>['db'];

/**
 * Counts one event for `key` in a fixed window, atomically (one upsert), and answers the count so
 * far in the current window and the seconds until that window ends.
 */
export async function countInWindow(db: Db, key: string, windowSeconds: number): Promise<{ count: number; retryAfterSeconds: number }> {
  const t = schema.authThrottle;
  const expired = sql`${t.windowStartedAt} <= now() - make_interval(secs => ${windowSeconds})`;
  const [row] = await db
    .insert(t)
    .values({ key, count: 1 })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        count: sql`case when ${expired} then 1 else ${t.count} + 1 end`,
        windowStartedAt: sql`case when ${expired} then now() else ${t.windowStartedAt} end`,
      },
    })
    .returning({
      count: t.count,
      retryAfterSeconds: sql<number>`greatest(1, ceil(extract(epoch from ${t.windowStartedAt} + make_interval(secs => ${windowSeconds}) - now())))::int`,
    });
  if (!row) throw new Error('throttle upsert returned nothing');
  return row;
}

/** Takes back one count (an attempt that turned out not to be a failure). */
export async function uncount(db: Db, key: string): Promise<void> {
  const t = schema.authThrottle;
  await db
    .update(t)
    .set({ count: sql`greatest(${t.count} - 1, 0)` })
    .where(eq(t.key, key));
}

/** TOO_MANY_REQUESTS with `Retry-After`, so that clients and proxies know when to come back. */
export function tooManyRequests(ctx: Pick<Context, 'responseHeaders'>, retryAfterSeconds: number, reason: string, message: string): AppError {
  ctx.responseHeaders.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  return new AppError('TOO_MANY_REQUESTS', reason, message);
}
