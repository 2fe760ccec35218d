import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

/**
 * API keys for services acting as their owner, with only the scopes listed. A key reads
 * `bst_<prefix>_<secret>`: the prefix finds the row, and only an HMAC-SHA256 of the secret is kept
 * (under a key derived from the encryption key ring entry `hashKid`), so this table opens nothing.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** 8 characters of [A-Za-z0-9]: shown in lists and logs, unique, never a secret. */
    prefix: text('prefix').notNull(),
    /** Hex HMAC-SHA256 of the secret part. */
    secretHash: text('secret_hash').notNull(),
    /** The encryption key ring entry whose derived key made `secretHash`. */
    hashKid: text('hash_kid').notNull(),
    scopes: text('scopes').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** Written at most once a minute per key, in batches (api-keys/last-used.ts). */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_prefix_key').on(t.prefix), index('api_keys_user_created_idx').on(t.userId, t.createdAt)],
);
