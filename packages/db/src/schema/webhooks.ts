import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

/** Limits shared by the zod schemas and the SQL checks. */
export const WEBHOOK_LIMITS = {
  url: 2048,
  description: 500,
  events: 20,
  /** Stored excerpt of a receiver's response body, in bytes (UTF-8). */
  responseExcerpt: 1024,
} as const;

/**
 * A user's webhook endpoints. Secrets are sealed with the key ring (AES-256-GCM, ADR 013), the
 * endpoint id bound as associated data; the plaintext is shown once, at creation or rotation.
 * `previous_secret_*` keeps the secret replaced by a rotation signing for its 24-hour overlap.
 * `failing_since` is the time of the first failed attempt after the last success (the 5-day rule).
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events').array().notNull(),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(true),
    disabledReason: text('disabled_reason'),
    secretSealed: text('secret_sealed').notNull(),
    previousSecretSealed: text('previous_secret_sealed'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    failingSince: timestamp('failing_since', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('webhook_endpoints_owner_idx').on(t.ownerId, t.createdAt, t.id),
    check('webhook_endpoints_url_length', sql`char_length(${t.url}) between 8 and ${sql.raw(String(WEBHOOK_LIMITS.url))}`),
    check('webhook_endpoints_description_length', sql`${t.description} is null or char_length(${t.description}) <= ${sql.raw(String(WEBHOOK_LIMITS.description))}`),
    check('webhook_endpoints_events_count', sql`cardinality(${t.events}) between 1 and ${sql.raw(String(WEBHOOK_LIMITS.events))}`),
    check('webhook_endpoints_disabled_reason', sql`${t.disabledReason} is null or ${t.disabledReason} in ('manual', 'gone', 'failing')`),
  ],
);

/**
 * One event for one endpoint: created by the dispatcher (or a test send), attempted by pg-boss jobs.
 * `(endpoint_id, event_id)` is unique, so an event can never be fanned out twice to one endpoint.
 * `body` is the exact JSON sent on every attempt (what the receiver's signature check covers).
 * `owner_id` is the endpoint's owner, so every read is scoped to the caller in SQL.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    body: text('body').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** The attempt the queued job is for: a job for any other number is stale and does nothing. */
    queuedAttempt: integer('queued_attempt').notNull().default(1),
    /** A replay or a test send: one attempt, no retry schedule. */
    single: boolean('single').notNull().default(false),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    responseStatus: integer('response_status'),
    responseBodyExcerpt: text('response_body_excerpt'),
    durationMs: integer('duration_ms'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_endpoint_event_key').on(t.endpointId, t.eventId),
    // The delivery log: keyset pagination, newest first, per endpoint.
    index('webhook_deliveries_endpoint_created_idx').on(t.endpointId, t.createdAt.desc(), t.id.desc()),
    index('webhook_deliveries_created_idx').on(t.createdAt),
    check('webhook_deliveries_status', sql`${t.status} in ('pending', 'succeeded', 'failed', 'dead')`),
    check('webhook_deliveries_excerpt_length', sql`${t.responseBodyExcerpt} is null or octet_length(${t.responseBodyExcerpt}) <= ${sql.raw(String(WEBHOOK_LIMITS.responseExcerpt))}`),
  ],
);

/**
 * Incoming webhooks already accepted, per receiver: a repeated `webhook-id` is answered 200 and
 * does nothing (senders deliver at least once). Pruned with the delivery retention.
 */
export const webhookReceipts = pgTable(
  'webhook_receipts',
  {
    receiver: text('receiver').notNull(),
    webhookId: text('webhook_id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.receiver, t.webhookId] }),
    index('webhook_receipts_received_idx').on(t.receivedAt),
    check('webhook_receipts_id_length', sql`char_length(${t.webhookId}) between 1 and 256`),
  ],
);
