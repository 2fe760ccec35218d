import { sql } from 'drizzle-orm';
import { check, index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const userRole = pgEnum('user_role', ['user', 'support', 'admin']);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name'),
    /** Null: the account signs in only through a connected provider (it may set a password later). */
    passwordHash: text('password_hash'),
    role: userRole('role').notNull().default('user'),
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    /** account.delete: when the erasure job will remove the account; null when none is scheduled. */
    deletionScheduledAt: timestamp('deletion_scheduled_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [
    // Case-insensitive uniqueness: the application lower-cases emails too, the index is the guarantee.
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    check('users_email_length', sql`char_length(${t.email}) between 3 and 254`),
    check('users_name_length', sql`${t.name} is null or char_length(${t.name}) <= 100`),
    index('users_created_at_idx').on(t.createdAt),
    index('users_created_id_idx').on(t.createdAt.desc(), t.id.desc()),
    index('users_deletion_due_idx').on(t.deletionScheduledAt).where(sql`${t.deletionScheduledAt} is not null`),
  ],
);

export type User = typeof users.$inferSelect;
