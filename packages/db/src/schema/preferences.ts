import { sql } from 'drizzle-orm';
import { boolean, check, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

export const THEMES = ['system', 'light', 'dark'] as const;

/** One row per user, created on the first update; absent means the defaults. */
export const userPreferences = pgTable(
  'user_preferences',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    theme: text('theme', { enum: THEMES }).notNull().default('system'),
    timeZone: text('time_zone').notNull().default('UTC'),
    locale: text('locale').notNull().default('en'),
    emailNotifications: boolean('email_notifications').notNull().default(true),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('user_preferences_theme', sql`${t.theme} in ('system', 'light', 'dark')`),
    check('user_preferences_time_zone_length', sql`char_length(${t.timeZone}) between 1 and 64`),
    check('user_preferences_locale_length', sql`char_length(${t.locale}) between 2 and 35`),
  ],
);
