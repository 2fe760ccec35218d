import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { listInput } from './list.schema.ts';
import { listContacts, listQuery } from './service.ts';

/** The list and search queries at 100k contacts for one owner: no sequential scan of contacts. */
let handle: DbHandle;
const OWNER = '33333333-3333-4333-8333-333333333333';

beforeAll(async () => {
  const url = await createTestDatabase();
  handle = createDb({ url, poolMax: 2, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 60_000 });
  const { sql } = handle;
  await sql`insert into users (id, email, password_hash) values (${OWNER}, 'many@example.com', 'x'), (gen_random_uuid(), 'other@example.com', 'x')`;
  // One statement for all rows; timestamps spread so the date sorts are realistic.
  await sql`
    insert into contacts (owner_id, name, email, company, phone, tags, created_at, updated_at)
    select ${OWNER}, 'Contact ' || g, 'c' || g || '@example.com', 'Company ' || (g % 997), '+1 (555) ' || lpad((g % 10000)::text, 4, '0'), array['t' || (g % 50)],
           now() - g * interval '1 second', now() - (g % 5000) * interval '1 second'
    from generate_series(1, 100000) as g`;
  await sql`analyze contacts`;
}, 120_000);

afterAll(async () => {
  await handle?.close();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

async function planOf(raw: Record<string, unknown>, which: 'query' | 'count' = 'query') {
  const query = listQuery(handle.db, OWNER, listInput.parse(raw))[which];
  const { sql: text, params } = query.toSQL();
  const [row] = await handle.sql.unsafe(`explain (format json) ${text}`, params as never[]);
  return nodes((row!['QUERY PLAN'] as [{ Plan: PlanNode }])[0].Plan);
}

const firstCursor = async (raw: Record<string, unknown>) =>
  (await listContacts({ db: handle.db, auth: { userId: OWNER } }, listInput.parse({ ...raw, limit: 20 }))).nextCursor!;

it.each([
  ['the default list (newest first)', {}],
  ['by name', { sort: 'name' }],
  ['by name, descending', { sort: 'name', direction: 'desc' }],
  ['by last update', { sort: 'updatedAt' }],
  ['a tag', { tag: 't7' }],
  ['a name search', { search: 'Contact 4242' }],
  ['an email search', { search: 'c777@exa' }],
  ['a company search', { search: 'company 99' }],
  ['a search with a tag', { search: 'Contact 12', tag: 't12' }],
  ['a phone search (digits and formatting)', { search: '555 0142' }],
])('%s uses indexes only', async (_label, raw) => {
  const plan = await planOf(raw);
  const scans = plan.filter((node) => node['Relation Name'] === 'contacts').map((node) => node['Node Type']);
  expect(scans.length).toBeGreaterThan(0);
  expect(scans).not.toContain('Seq Scan');
});

it.each([['createdAt'], ['name']])('the next page by %s starts at the cursor through the index', async (sort) => {
  const cursor = await firstCursor({ sort });
  const plan = await planOf({ sort, cursor });
  expect(plan.filter((node) => node['Relation Name'] === 'contacts').map((node) => node['Node Type'])).toEqual(['Index Scan']);
});

// The unfiltered total reads all the owner's rows however it is planned (here the owner is the whole
// table, so a sequential scan is the cheapest); filtered totals must not scan the table.
it.each([
  ['a search', { search: 'Contact 4242' }],
  ['a phone search', { search: '(555) 01' }],
  ['a tag', { tag: 't7' }],
])('the total of %s is counted through an index', async (_label, raw) => {
  const plan = await planOf(raw, 'count');
  const scans = plan.filter((node) => node['Relation Name'] === 'contacts').map((node) => node['Node Type']);
  expect(scans.length).toBeGreaterThan(0);
  expect(scans).not.toContain('Seq Scan');
});
