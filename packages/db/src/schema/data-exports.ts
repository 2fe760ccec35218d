import { sql } from 'drizzle-orm';
import { check, customType, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * A user's GDPR data export (account.exportData): queued, built by a job into a zip kept here
 * (every instance can serve it), downloaded once through a mailed single-use link, then emptied.
 * Rows stay 24 hours (retention) so that the 3-per-day limit can count them.
 */
export const dataExports = pgTable(
  'data_exports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['pending', 'ready', 'downloaded', 'failed'] }).notNull().default('pending'),
    /** SHA-256 of the mailed link's token; only the hash is stored. */
    tokenHash: text('token_hash'),
    archive: bytea('archive'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    readyAt: timestamp('ready_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    downloadedAt: timestamp('downloaded_at', { withTimezone: true }),
  },
  (t) => [
    // One export at a time per user: a second request while one is pending or ready conflicts.
    uniqueIndex('data_exports_one_open_key').on(t.userId).where(sql`${t.status} in ('pending', 'ready')`),
    uniqueIndex('data_exports_token_hash_key').on(t.tokenHash),
    index('data_exports_user_requested_idx').on(t.userId, t.requestedAt),
    check('data_exports_status', sql`${t.status} in ('pending', 'ready', 'downloaded', 'failed')`),
  ],
);
