import { sql } from 'drizzle-orm';
import { index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

export const connectedAccountStatus = pgEnum('connected_account_status', ['active', 'needs_reauth', 'revoked']);
export const oauthIntent = pgEnum('oauth_intent', ['signin', 'link']);

/**
 * A user's account at an OpenID Connect provider: the (provider, subject) pair signs the user in,
 * and its tokens are sealed with the key ring (context: table, column, user id and account id), so
 * a ciphertext copied to another row or column does not open. `refresh_lease_until` is the lock
 * that lets one refresh run per account at a time, across every worker and request.
 */
export const connectedAccounts = pgTable(
  'connected_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    email: text('email'),
    scopes: text('scopes').array().notNull().default(sql`'{}'::text[]`),
    accessTokenSealed: text('access_token_sealed'),
    refreshTokenSealed: text('refresh_token_sealed'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    status: connectedAccountStatus('status').notNull().default('active'),
    lastRefreshedAt: timestamp('last_refreshed_at', { withTimezone: true }),
    lastRefreshError: text('last_refresh_error'),
    /** Consecutive failed refreshes; reset by a success. */
    refreshFailures: integer('refresh_failures').notNull().default(0),
    refreshLeaseUntil: timestamp('refresh_lease_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [
    uniqueIndex('connected_accounts_provider_subject_key').on(t.provider, t.subject),
    // One account per provider per user: "link Google" replaces nothing silently.
    uniqueIndex('connected_accounts_user_provider_key').on(t.userId, t.provider),
    index('connected_accounts_refresh_due_idx').on(t.expiresAt).where(sql`${t.status} = 'active' and ${t.refreshTokenSealed} is not null`),
  ],
);

/**
 * One authorization request in flight: single use, 10 minutes. The browser that started it holds
 * the binding secret (a SameSite=Lax cookie) whose hash is stored; the PKCE verifier is sealed.
 */
export const oauthStates = pgTable(
  'oauth_states',
  {
    id: uuid('id').primaryKey(),
    stateHash: text('state_hash').notNull(),
    bindingHash: text('binding_hash').notNull(),
    provider: text('provider').notNull(),
    intent: oauthIntent('intent').notNull(),
    /** The signed-in user a `link` is for (the callback arrives without the Strict session cookies). */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    codeVerifierSealed: text('code_verifier_sealed').notNull(),
    nonce: text('nonce').notNull(),
    redirectTo: text('redirect_to').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('oauth_states_state_hash_key').on(t.stateHash), index('oauth_states_expires_idx').on(t.expiresAt), index('oauth_states_user_idx').on(t.userId)],
);
