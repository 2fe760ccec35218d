import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Development mail transport: messages land here instead of an SMTP server and the web app shows
 * them at /dev/mailbox. Never used in production (SMTP_URL is required there).
 */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('mail_outbox_created_idx').on(t.createdAt.desc())],
);
