import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

/**
 * Limits shared by the zod schemas and the SQL checks, so the database refuses what the API
 * would refuse even when a write bypasses the API.
 */
export const CONTACT_LIMITS = {
  name: 200,
  email: 254,
  phone: 50,
  company: 200,
  notes: 10_000,
  tags: 20,
  tag: 40,
} as const;

/**
 * One CSV import: its contacts carry its id, so "undo last import" can delete exactly them (those
 * still unchanged) within `CONTACT_IMPORT_UNDO_SECONDS`.
 */
export const contactImports = pgTable(
  'contact_imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    undoneAt: timestamp('undone_at', { withTimezone: true }),
  },
  (t) => [index('contact_imports_owner_idx').on(t.ownerId, t.createdAt)],
);

/** How long an import can be undone. */
export const CONTACT_IMPORT_UNDO_SECONDS = 600;

/**
 * A user's address book. Every query filters on `owner_id`; each list path has an index led by it.
 * The trigram (pg_trgm) GIN index for search is in the custom migration `contacts_search`,
 * because it needs the extension first.
 */
export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    email: text('email'),
    phone: text('phone'),
    company: text('company'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    notes: text('notes'),
    /** The import that created the contact, if any (undo of that import). */
    importId: uuid('import_id').references(() => contactImports.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Case-insensitive uniqueness per owner; NULL emails never conflict. Also the ON CONFLICT target of imports.
    uniqueIndex('contacts_owner_email_key').on(t.ownerId, sql`lower(${t.email})`),
    // Keyset pagination: one index per sort key, each ending in id as the tie-breaker.
    // Names sort by the ICU root collation ("Édith" with E, not after Z); ICU ships with the
    // embedded PostgreSQL binaries, and the list query uses this exact expression.
    index('contacts_owner_name_icu_idx').on(t.ownerId, sql`(lower(${t.name}) collate "und-x-icu")`, t.id),
    index('contacts_import_idx').on(t.importId).where(sql`${t.importId} is not null`),
    index('contacts_owner_created_idx').on(t.ownerId, t.createdAt, t.id),
    index('contacts_owner_updated_idx').on(t.ownerId, t.updatedAt, t.id),
    index('contacts_tags_idx').using('gin', t.tags),
    check('contacts_name_length', sql`char_length(${t.name}) between 1 and ${sql.raw(String(CONTACT_LIMITS.name))}`),
    check('contacts_email_length', sql`${t.email} is null or char_length(${t.email}) between 3 and ${sql.raw(String(CONTACT_LIMITS.email))}`),
    check('contacts_phone_length', sql`${t.phone} is null or char_length(${t.phone}) between 1 and ${sql.raw(String(CONTACT_LIMITS.phone))}`),
    check('contacts_company_length', sql`${t.company} is null or char_length(${t.company}) between 1 and ${sql.raw(String(CONTACT_LIMITS.company))}`),
    check('contacts_notes_length', sql`${t.notes} is null or char_length(${t.notes}) <= ${sql.raw(String(CONTACT_LIMITS.notes))}`),
    check('contacts_tags_count', sql`cardinality(${t.tags}) <= ${sql.raw(String(CONTACT_LIMITS.tags))}`),
  ],
);

/**
 * Transactional outbox: domain events written in the same transaction as the change they describe.
 * A deliverer (webhooks) reads unpublished rows in `id` order and marks them published.
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    type: text('type').notNull(),
    aggregateId: uuid('aggregate_id').notNull(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
  },
  (t) => [
    // A contact's history (contacts.history), owner first.
    index('outbox_events_owner_aggregate_idx').on(t.ownerId, t.aggregateId, t.occurredAt),
    index('outbox_events_unpublished_idx').on(t.occurredAt).where(sql`${t.publishedAt} is null`),
    check('outbox_events_type_format', sql`${t.type} ~ '^[a-z]+\\.[a-z_]+$'`),
  ],
);
