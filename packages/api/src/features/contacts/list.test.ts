import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterInputs } from '@bastion/api';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { startTestServer, type TestServer } from '../../../../../test/helpers/server.ts';
import { failureOf, metricValue, signUp } from '../../../../../test/helpers/users.ts';

let server: TestServer;
let db: postgres.Sql;
let user: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  const url = await createTestDatabase();
  // Statements are counted on the pool: rate-limit counters live in memory here, not in the database.
  server = await startTestServer({ RATE_LIMIT_STORE: 'memory' }, url);
  db = postgres(url, { max: 2, onnotice: () => {} });
  user = await signUp(server);
});

afterAll(async () => {
  await db?.end();
  await server?.close();
});

type ListInput = RouterInputs['contacts']['list'];

/** Follows nextCursor to the end; `between` runs after each page (to insert concurrently). */
async function allPages(client: typeof user.client, input: ListInput, between?: () => Promise<unknown>) {
  const ids: string[] = [];
  const names: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await client.contacts.list.query({ ...input, cursor });
    ids.push(...result.items.map((item) => item.id));
    names.push(...result.items.map((item) => item.name));
    if (!result.nextCursor) return { ids, names };
    cursor = result.nextCursor;
    await between?.();
  }
  throw new Error('pagination did not end');
}

describe('keyset pagination', () => {
  it('serves every contact exactly once, in order, for every sort and direction', async () => {
    const owner = await signUp(server);
    const names = ['delta', 'Alpha', 'charlie', 'Bravo', 'echo', 'alpha', 'Foxtrot', 'golf', 'Hotel', 'india', 'Juliet', 'kilo', 'Lima'];
    // Created one by one so created_at differs; equal lower-cased names exercise the id tie-break.
    const created = [];
    for (const name of names) created.push(await owner.client.contacts.create.mutate({ name }));
    await owner.client.contacts.update.mutate({ id: created[0]!.id, notes: 'touched last' });

    for (const sort of ['name', 'createdAt', 'updatedAt'] as const) {
      for (const direction of ['asc', 'desc'] as const) {
        const { ids, names: seen } = await allPages(owner.client, { sort, direction, limit: 4 });
        expect(new Set(ids).size).toBe(names.length);
        expect(ids.length).toBe(names.length);
        if (sort === 'name') {
          const expected = [...seen].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
          expect(seen.map((n) => n.toLowerCase())).toEqual((direction === 'asc' ? expected : expected.reverse()).map((n) => n.toLowerCase()));
        }
      }
    }
    const byCreated = await allPages(owner.client, { sort: 'createdAt', direction: 'asc', limit: 5 });
    expect(byCreated.ids).toEqual(created.map((c) => c.id));
    const byUpdated = await allPages(owner.client, { sort: 'updatedAt', direction: 'desc', limit: 5 });
    expect(byUpdated.ids[0]).toBe(created[0]!.id);
  });

  it('returns every pre-existing row exactly once while rows are inserted concurrently', async () => {
    const owner = await signUp(server);
    const seeded = await owner.client.contacts.importMany.mutate({
      contacts: Array.from({ length: 120 }, (_, i) => ({ name: `seed ${String(i).padStart(3, '0')} ${['m', 'b', 'x'][i % 3]}` })),
    });
    const seededIds = new Set(seeded.results.flatMap((r) => (r.status === 'created' ? [r.id] : [])));
    expect(seededIds.size).toBe(120);
    let n = 0;
    // After every page, several inserts land at once, before and after the cursor in sort order.
    const insertSome = () =>
      Promise.all(['a', 'n', 'z', 'seed 050 q'].map((prefix) => owner.client.contacts.create.mutate({ name: `${prefix} concurrent ${n++}` })));
    for (const input of [
      { sort: 'name', direction: 'asc', limit: 7 },
      { sort: 'createdAt', direction: 'desc', limit: 9 },
      { sort: 'createdAt', direction: 'asc', limit: 9 },
    ] as const) {
      const { ids } = await allPages(owner.client, input, insertSome);
      expect(ids.length).toBe(new Set(ids).size); // nothing twice
      for (const id of seededIds) expect(ids).toContain(id); // nothing skipped
    }
    expect(n).toBeGreaterThan(100);
  });

  it('refuses a tampered cursor or one from another sort', async () => {
    const owner = await signUp(server);
    for (let i = 0; i < 3; i++) await owner.client.contacts.create.mutate({ name: `c${i}` });
    const { nextCursor } = await owner.client.contacts.list.query({ limit: 1, sort: 'createdAt' });
    expect(nextCursor).toBeTruthy();
    for (const [cursor, sort] of [
      [nextCursor!, 'name'],
      ['not-a-cursor', 'createdAt'],
      [Buffer.from(JSON.stringify(['createdAt', 'desc', "'; drop table contacts; --", '6f1c1d2e-6a9b-4f7e-9a51-0d3c2b1a0f99'])).toString('base64url'), 'createdAt'],
    ] as const) {
      const failure = await failureOf(owner.client.contacts.list.query({ cursor, sort }));
      expect(failure.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_cursor' });
    }
  });
});

describe('filters and search', () => {
  let owner: Awaited<ReturnType<typeof signUp>>;
  const named: Record<string, string> = {};

  beforeAll(async () => {
    owner = await signUp(server);
    const rows = [
      { key: 'percent', name: '100% Organic', tags: ['food'] },
      { key: 'hundred', name: '1000 Organic', tags: ['food', 'vip'] },
      { key: 'underscore', name: 'snake_case Ltd', email: 'snake_case@example.com' },
      { key: 'snakelike', name: 'snakeXcase Ltd' },
      { key: 'backslash', name: 'Back\\slash', company: 'C:\\Temp' },
      { key: 'backplain', name: 'Backslash' },
      { key: 'quote', name: "O'Brien", company: "' OR 1=1 -- Ltd" },
      { key: 'emoji', name: '🦄 Unicorn', company: 'Rainbow 🌈 Inc' },
      { key: 'combining', name: 'Cafe\u0301 Noir' }, // stored NFC: "Café Noir"
      { key: 'long', name: 'x'.repeat(150) + 'needle' + 'y'.repeat(44) },
      { key: 'email', name: 'Mail Only', email: 'Findme@Example.org', tags: ['vip'] },
    ];
    for (const { key, ...row } of rows) named[key] = (await owner.client.contacts.create.mutate(row)).id;
  });

  const search = async (term: string, extra: Partial<ListInput> = {}) => {
    const { ids } = await allPages(owner.client, { search: term, limit: 100, ...extra });
    const keys = Object.entries(named)
      .filter(([, id]) => ids.includes(id))
      .map(([key]) => key);
    expect(keys.length).toBe(ids.length);
    return keys.sort();
  };

  it.each([
    ['%', ['percent']],
    ['100%', ['percent']],
    ['_', ['underscore']],
    ['snake_case', ['underscore']],
    ['\\', ['backslash']],
    ['k\\s', ['backslash']],
    ["'", ['quote']],
    ["' OR 1=1 --", ['quote']],
    ['🦄', ['emoji']],
    ['🌈 inc', ['emoji']],
    ['café', ['combining']],
    ['Cafe\u0301', ['combining']],
    ['x'.repeat(100), ['long']],
    ['x'.repeat(50) + 'NEEDLE', ['long']],
    ['findme@EXAMPLE', ['email']],
    ['organic', ['hundred', 'percent']],
    ['no such contact anywhere', []],
  ])('search %j finds exactly %j', async (term, expected) => {
    expect(await search(term)).toEqual(expected);
  });

  it('filters by tag, alone and with search', async () => {
    expect(await search('', { tag: 'vip' })).toEqual(['email', 'hundred']);
    expect(await search('organic', { tag: 'VIP' })).toEqual(['hundred']);
    expect(await search('', { tag: 'none' })).toEqual([]);
  });

  it('refuses a search longer than 100 characters', async () => {
    const failure = await failureOf(owner.client.contacts.list.query({ search: 'x'.repeat(101) }));
    expect(failure.data).toMatchObject({ reason: 'validation_failed', fieldErrors: { search: [expect.any(String)] } });
  });
});

describe('importMany', () => {
  it('imports 1000 rows in a bounded number of statements, reporting each row', async () => {
    const owner = await signUp(server);
    await owner.client.contacts.create.mutate({ name: 'Existing', email: 'row5@example.com' });
    const rows: unknown[] = Array.from({ length: 1000 }, (_, i) => ({ name: `Row ${i}`, email: `row${i}@example.com`, tags: ['import'] }));
    rows[5] = { name: 'Row 5 again', email: 'ROW5@example.com' }; // exists already
    rows[7] = { name: 'Dup of 6', email: 'row6@example.com' }; // repeats row 6
    rows[9] = { name: '', email: 'not-an-email' }; // invalid
    rows[11] = { name: 'Forged', ownerId: user.id }; // mass assignment
    rows[13] = 'not an object';

    const before = await statementCount();
    const result = await owner.client.contacts.importMany.mutate({ contacts: rows });
    const statements = (await statementCount()) - before;
    // BEGIN, the import batch row, one statement per chunk of 500 (contacts and their events),
    // COMMIT — plus at most the session check.
    expect(statements).toBeLessThanOrEqual(6);

    expect(result).toMatchObject({ created: 995, duplicates: 2, invalid: 3 });
    expect(result.results).toHaveLength(1000);
    expect(result.results.map((r) => r.index)).toEqual(rows.map((_, i) => i));
    expect(result.results[5]).toEqual({ index: 5, status: 'duplicate' });
    expect(result.results[7]).toEqual({ index: 7, status: 'duplicate', duplicateOf: 6 });
    expect(result.results[9]).toMatchObject({ status: 'invalid', fieldErrors: { name: ['Enter a name.'], email: [expect.any(String)] } });
    expect(result.results[13]).toMatchObject({ status: 'invalid', fieldErrors: { _: [expect.any(String)] } });
    expect(result.results[11]).toMatchObject({ status: 'invalid' });

    const [counts] = await db`
      select (select count(*)::int from contacts where owner_id = ${owner.id}) as contacts,
             (select count(*)::int from outbox_events where owner_id = ${owner.id} and type = 'contact.created') as events`;
    expect(counts).toEqual({ contacts: 996, events: 996 });
    // The event written in SQL carries the contact exactly as the API returns it.
    const first = result.results[0]!;
    if (first.status !== 'created') throw new Error('row 0 was not created');
    const [event] = await db`select payload from outbox_events where aggregate_id = ${first.id}`;
    expect(event!.payload).toEqual({ contact: await owner.client.contacts.get.query({ id: first.id }) });
    // Re-importing the same file creates nothing and fails nothing.
    const again = await owner.client.contacts.importMany.mutate({ contacts: rows });
    expect(again).toMatchObject({ created: 0, duplicates: 997, invalid: 3 });
  });

  it('refuses more than 1000 rows', async () => {
    const failure = await failureOf(user.client.contacts.importMany.mutate({ contacts: Array.from({ length: 1001 }, () => ({ name: 'x' })) }));
    expect(failure.data?.reason).toBe('validation_failed');
  });
});

const statementCount = () => metricValue(server, 'bastion_db_statements_total');
