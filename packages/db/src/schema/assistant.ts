import { sql } from 'drizzle-orm';
import { check, date, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

/** A user's assistant conversation; its messages are below. */
export const assistantConversations = pgTable(
  'assistant_conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    model: text('model').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('assistant_conversations_owner_updated_idx').on(t.ownerId, t.updatedAt.desc(), t.id.desc()), check('assistant_conversations_title_length', sql`char_length(${t.title}) <= 200`)],
);

export const assistantMessages = pgTable(
  'assistant_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => assistantConversations.id, { onDelete: 'cascade' }),
    /** Denormalised so every read is scoped to the owner in SQL. */
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant', 'system'] }).notNull(),
    content: text('content').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('assistant_messages_conversation_idx').on(t.conversationId, t.createdAt, t.id),
    check('assistant_messages_role', sql`${t.role} in ('user', 'assistant', 'system')`),
  ],
);

/** Tokens reserved or spent per user and UTC day; reservations are one conditional upsert. */
export const assistantTokenUsage = pgTable(
  'assistant_token_usage',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    tokens: integer('tokens').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day] }), check('assistant_token_usage_tokens', sql`${t.tokens} >= 0`)],
);

/**
 * One client request to `assistant.chat` / `assistant.chatStream`, keyed by the client's request
 * id per owner: claimed before the upstream call, completed with the stored reply, so a replay is
 * answered without calling the upstream or charging the budget again. The reply is kept here (not
 * only as a message) so a replay still answers after its conversation was deleted.
 */
export const assistantRequests = pgTable(
  'assistant_requests',
  {
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    requestId: uuid('request_id').notNull(),
    /** sha256 of the request's input: a replay with another input is refused. */
    inputHash: text('input_hash').notNull(),
    /** Set together when the call completed; null while it is in progress. */
    conversationId: uuid('conversation_id'),
    reply: text('reply'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.ownerId, t.requestId] })],
);
