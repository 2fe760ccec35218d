import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Atomic counters for sign-in lockout and the per-address / per-account limits of the auth flows.
 * One row per key (`login:<email>|<ip>`, `login-ip:<ip>`, …), updated only by single upserts so
 * that parallel requests cannot both read a stale count.
 */
export const authThrottle = pgTable('auth_throttle', {
  key: text('key').primaryKey(),
  count: integer('count').notNull().default(0),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull().defaultNow(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
});
