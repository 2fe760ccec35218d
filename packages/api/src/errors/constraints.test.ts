import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, postgresErrorOf, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../test/helpers/database.ts';
import { AppError } from './app-error.ts';
import { formatError } from './error-formatter.ts';
import { toTRPCError } from './to-trpc-error.ts';

/**
 * Every constraint of the data-layer tables, violated through Drizzle as a handler would, maps to a
 * stable safe error. A constraint added later without a row here fails the coverage check.
 */
let handle: DbHandle;
let admin: postgres.Sql;
const USER = '11111111-1111-4111-8111-111111111111';
const CONTACT = '22222222-2222-4222-8222-222222222222';

beforeAll(async () => {
  const url = await createTestDatabase();
  admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin`insert into users (id, email, password_hash) values (${USER}, 'owner@example.com', 'x')`;
  await admin`insert into contacts (id, owner_id, name, email) values (${CONTACT}, ${USER}, 'Taken', 'taken@example.com')`;
  handle = createDb({ url, poolMax: 2, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 5000 });
});

afterAll(async () => {
  await admin?.end();
  await handle?.close();
});

const contact = (columns: string, values: string) => `insert into contacts (owner_id, ${columns}) values ('${USER}', ${values})`;
const long = (n: number) => `repeat('x', ${n})`;

const VIOLATIONS: Record<string, [statement: string, reason: string]> = {
  contacts_pkey: [contact('id, name', `'${CONTACT}', 'Dup'`), 'resource_already_exists'],
  contacts_owner_email_key: [contact('name, email', `'Again', 'TAKEN@example.com'`), 'resource_already_exists'],
  contacts_owner_id_users_id_fk: [`insert into contacts (owner_id, name) values (gen_random_uuid(), 'Orphan')`, 'related_resource_missing'],
  contacts_import_id_contact_imports_id_fk: [contact('name, import_id', `'From nowhere', gen_random_uuid()`), 'related_resource_missing'],
  contacts_name_length: [contact('name', `''`), 'invalid_value'],
  contacts_email_length: [contact('name, email', `'n', ${long(255)}`), 'invalid_value'],
  contacts_phone_length: [contact('name, phone', `'n', ${long(51)}`), 'invalid_value'],
  contacts_company_length: [contact('name, company', `'n', ${long(201)}`), 'invalid_value'],
  contacts_notes_length: [contact('name, notes', `'n', ${long(10_001)}`), 'invalid_value'],
  contacts_tags_count: [contact('name, tags', `'n', array(select 't' || g from generate_series(1, 21) g)`), 'invalid_value'],
  outbox_events_pkey: [`insert into outbox_events (id, type, aggregate_id, owner_id, payload) values ('${CONTACT}', 'contact.created', '${CONTACT}', '${USER}', '{}'), ('${CONTACT}', 'contact.created', '${CONTACT}', '${USER}', '{}')`, 'resource_already_exists'],
  outbox_events_owner_id_users_id_fk: [`insert into outbox_events (type, aggregate_id, owner_id, payload) values ('contact.created', gen_random_uuid(), gen_random_uuid(), '{}')`, 'related_resource_missing'],
  outbox_events_type_format: [`insert into outbox_events (type, aggregate_id, owner_id, payload) values ('Bad Type', gen_random_uuid(), '${USER}', '{}')`, 'invalid_value'],
  user_preferences_pkey: [`insert into user_preferences (user_id) values ('${USER}'), ('${USER}')`, 'resource_already_exists'],
  user_preferences_user_id_users_id_fk: [`insert into user_preferences (user_id) values (gen_random_uuid())`, 'related_resource_missing'],
  user_preferences_theme: [`insert into user_preferences (user_id, theme) values ('${USER}', 'neon')`, 'invalid_value'],
  user_preferences_time_zone_length: [`insert into user_preferences (user_id, time_zone) values ('${USER}', '')`, 'invalid_value'],
  user_preferences_locale_length: [`insert into user_preferences (user_id, locale) values ('${USER}', 'x')`, 'invalid_value'],
};

const NOT_NULL: [string, string][] = [
  ['contacts', `insert into contacts (owner_id, name) values ('${USER}', null)`],
  ['outbox_events', `insert into outbox_events (type, aggregate_id, owner_id, payload) values ('contact.created', gen_random_uuid(), '${USER}', null)`],
  ['user_preferences', `insert into user_preferences (user_id, theme) values ('${USER}', null)`],
];

const LEAKS = /contacts|outbox|preferences|users|owner|constraint|insert|values|key|\(|pkey|fk|repeat|taken/i;

async function violate(statement: string) {
  try {
    // Through Drizzle, which wraps the driver error with the SQL and parameters in its message.
    await handle.db.execute(sql.raw(statement));
  } catch (error) {
    return error;
  }
  throw new Error(`no violation: ${statement}`);
}

it('covers every constraint of contacts, outbox_events and user_preferences', async () => {
  const rows = await admin<{ conname: string }[]>`
    select conname from pg_constraint where conrelid in ('contacts'::regclass, 'outbox_events'::regclass, 'user_preferences'::regclass)
    union select indexrelid::regclass::text from pg_index where indisunique and indrelid in ('contacts'::regclass, 'outbox_events'::regclass, 'user_preferences'::regclass)`;
  expect(rows.map((row) => row.conname).sort()).toEqual(Object.keys(VIOLATIONS).sort());
});

it.each(Object.entries(VIOLATIONS))('%s maps to a safe %s', async (constraint, [statement, reason]) => {
  const error = await violate(statement);
  const mapped = toTRPCError(error);
  expect(mapped).toBeInstanceOf(AppError);
  expect((mapped as AppError).reason).toBe(reason);
  expect(postgresErrorOf(error)?.constraint_name).toBe(constraint); // the violation is the one named
  const body = JSON.stringify(formatError({ shape: { code: -32600, message: mapped.message, data: { code: mapped.code, httpStatus: 400 } } as never, error: mapped }, { requestId: 'r', exposeInternals: false }));
  expect(body).not.toMatch(LEAKS);
});

it.each(NOT_NULL)('a not-null violation on %s maps to missing_value', async (_table, statement) => {
  const mapped = toTRPCError(await violate(statement));
  expect((mapped as AppError).reason).toBe('missing_value');
  expect(mapped.message).not.toMatch(LEAKS);
});
