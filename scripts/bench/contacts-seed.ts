import type { Sql } from '@bastion/db';

export const CONTACTS = 100_000;
export const OWNER = '33333333-3333-4333-8333-333333333333';

/**
 * One owner with 100k contacts, written by ONE statement (as the EXPLAIN test does); timestamps are
 * spread so the date sorts are realistic. A second owner keeps the owner filter honest.
 */
export async function seedContacts(sql: Sql): Promise<void> {
  await sql`insert into users (id, email, password_hash) values (${OWNER}, 'many@example.com', 'x'), (gen_random_uuid(), 'other@example.com', 'x')`;
  await sql`
    insert into contacts (owner_id, name, email, company, tags, created_at, updated_at)
    select ${OWNER}, 'Contact ' || g, 'c' || g || '@example.com', 'Company ' || (g % 997), array['t' || (g % 50)],
           now() - g * interval '1 second', now() - (g % 5000) * interval '1 second'
    from generate_series(1, ${CONTACTS}) as g`;
  await sql`vacuum analyze contacts`;
}
