import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Rate-limit counters shared by every instance: one row per policy and key
 * (`rl:<policy>:<client, user or subject>`), all of a call's rows updated by one multi-row upsert.
 * UNLOGGED (migration 0007; drizzle-kit does not model it): a crash empties it, counters restart.
 */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    points: integer('points').notNull().default(0),
    expire: timestamp('expire', { withTimezone: true }),
  },
  (t) => [index('rate_limits_expire_idx').on(t.expire)],
);
