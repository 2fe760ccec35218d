import { parse } from 'csv-parse/sync';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterInputs } from '@bastion/api';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { startTestServer, type TestServer } from '../../../../../test/helpers/server.ts';
import { failureOf, metricValue, signUp } from '../../../../../test/helpers/users.ts';

let server: TestServer;
let db: postgres.Sql;
type User = Awaited<ReturnType<typeof signUp>>;
let alice: User;
let bob: User;

beforeAll(async () => {
  const url = await createTestDatabase();
  server = await startTestServer({ RATE_LIMIT_STORE: 'memory' }, url);
  db = postgres(url, { max: 2, onnotice: () => {} });
  [alice, bob] = await Promise.all([signUp(server, 'Alice'), signUp(server, 'Bob')]);
});

afterAll(async () => {
  await db?.end();
  await server?.close();
});

async function allNames(user: User, input: Omit<RouterInputs['contacts']['list'], 'cursor'>) {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await user.client.contacts.list.query({ ...input, cursor });
    names.push(...page.items.map((item) => item.name));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return names;
}

describe('name order (ICU collation)', () => {
  it('is available in this PostgreSQL', async () => {
    const [row] = await db`select collname, collprovider from pg_collation where collname = 'und-x-icu'`;
    expect(row).toEqual({ collname: 'und-x-icu', collprovider: 'i' });
  });

  it('sorts accented names with their letter, across keyset pages, both ways', async () => {
    const owner = await signUp(server);
    const names = ['Zoë', 'Édith', 'edgar', 'Eve', 'adam', 'Émile', 'Ólafur', 'oscar', 'Çelik', 'carl', 'Åsa', 'Bea'];
    await owner.client.contacts.importMany.mutate({ contacts: names.map((name) => ({ name })) });
    const expected = ['adam', 'Åsa', 'Bea', 'carl', 'Çelik', 'edgar', 'Édith', 'Émile', 'Eve', 'Ólafur', 'oscar', 'Zoë'];
    expect(await allNames(owner, { sort: 'name', direction: 'asc', limit: 5 })).toEqual(expected);
    expect(await allNames(owner, { sort: 'name', direction: 'desc', limit: 3 })).toEqual([...expected].reverse());
  });
});

describe('list: total and phone search', () => {
  let owner: User;
  beforeAll(async () => {
    owner = await signUp(server);
    await owner.client.contacts.importMany.mutate({
      contacts: [
        { name: 'London office', phone: '+44 (20) 7946-0000', tags: ['office'] },
        { name: 'Paris office', phone: '01.23.45.67.89', tags: ['office'] },
        { name: 'Plain digits', phone: '5550100' },
        { name: 'No phone', company: 'Unit 7946 Ltd' },
        ...Array.from({ length: 8 }, (_, i) => ({ name: `Filler ${i}`, tags: ['filler'] })),
      ],
    });
  });

  it('counts the matches on the first page when asked, and only there', async () => {
    const first = await owner.client.contacts.list.query({ limit: 5, includeTotal: true });
    expect(first).toMatchObject({ total: 12 });
    expect(first.items).toHaveLength(5);
    const second = await owner.client.contacts.list.query({ limit: 5, cursor: first.nextCursor!, includeTotal: true });
    expect(second.total).toBeNull();
    expect((await owner.client.contacts.list.query({ tag: 'office', limit: 1, includeTotal: true })).total).toBe(2);
    expect((await owner.client.contacts.list.query({ search: 'filler', limit: 1, includeTotal: true })).total).toBe(8);
    expect((await bob.client.contacts.list.query({ search: 'filler', includeTotal: true })).total).toBe(0);
  });

  it('does not count unless asked, except when the first page holds every match', async () => {
    expect((await owner.client.contacts.list.query({ limit: 5 })).total).toBeNull();
    expect((await owner.client.contacts.list.query({ tag: 'office' })).total).toBe(2);
    // Statements per call, the least of three (background work shares the pool): the count is one more.
    const statementsOf = async (includeTotal: boolean) => {
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = await metricValue(server, 'bastion_db_statements_total');
        await owner.client.contacts.list.query({ limit: 5, includeTotal });
        counts.push((await metricValue(server, 'bastion_db_statements_total')) - before);
      }
      return Math.min(...counts);
    };
    expect((await statementsOf(true)) - (await statementsOf(false))).toBe(1);
  });

  it.each([
    ['20 7946', ['London office']],
    ['(20) 7946-00', ['London office']],
    ['+442079460000', ['London office']],
    ['7946', ['London office', 'No phone']],
    ['23 45 67', ['Paris office']],
    ['0123456789', ['Paris office']],
    ['555-0100', ['Plain digits']],
    ['office', ['London office', 'Paris office']],
    ['+', []],
  ])('search %j finds %j, formatting ignored', async (search, expected) => {
    expect((await allNames(owner, { search, sort: 'name' })).sort()).toEqual(expected);
  });
});

describe('contacts.tagMany', () => {
  it('adds and removes tags on the caller’s contacts only, keeping order, with events', async () => {
    const [one, two] = await Promise.all([
      alice.client.contacts.create.mutate({ name: 'Tag one', tags: ['b', 'old'] }),
      alice.client.contacts.create.mutate({ name: 'Tag two' }),
    ]);
    const theirs = await bob.client.contacts.create.mutate({ name: 'Not yours', tags: ['old'] });
    const result = await alice.client.contacts.tagMany.mutate({ ids: [one.id, two.id, theirs.id], add: ['New', 'b'], remove: ['old'] });
    expect(result).toEqual({ updated: 2, skipped: 0 });
    expect((await alice.client.contacts.get.query({ id: one.id })).tags).toEqual(['b', 'new']);
    expect((await alice.client.contacts.get.query({ id: two.id })).tags).toEqual(['new', 'b']);
    expect(await bob.client.contacts.get.query({ id: theirs.id })).toEqual(theirs);
    // Nothing to change: nothing written.
    expect(await alice.client.contacts.tagMany.mutate({ ids: [one.id], add: ['new'] })).toEqual({ updated: 0, skipped: 0 });
    const [events] = await db`select count(*)::int as n from outbox_events where type = 'contact.updated' and aggregate_id = any(${[one.id, two.id, theirs.id]}::uuid[])`;
    expect(events!.n).toBe(2);
  });

  it('skips contacts that would pass the tag limit, and needs a tag', async () => {
    const full = await alice.client.contacts.create.mutate({ name: 'Full', tags: Array.from({ length: 20 }, (_, i) => `t${i}`) });
    expect(await alice.client.contacts.tagMany.mutate({ ids: [full.id], add: ['one-more'] })).toEqual({ updated: 0, skipped: 1 });
    expect((await alice.client.contacts.get.query({ id: full.id })).tags).toHaveLength(20);
    const failure = await failureOf(alice.client.contacts.tagMany.mutate({ ids: [full.id] }));
    expect(failure.data).toMatchObject({ reason: 'validation_failed', fieldErrors: { add: [expect.any(String)] } });
  });
});

describe('contacts.history', () => {
  it('lists a contact’s changes newest first, for its owner only', async () => {
    const contact = await alice.client.contacts.create.mutate({ name: 'History' });
    await alice.client.contacts.update.mutate({ id: contact.id, email: 'h@example.com', phone: '123' });
    await alice.client.contacts.tagMany.mutate({ ids: [contact.id], add: ['x'] });
    const { items } = await alice.client.contacts.history.query({ id: contact.id });
    expect(items.map((item) => [item.type, item.changed])).toEqual([
      ['contact.updated', ['tags']],
      ['contact.updated', ['email', 'phone']],
      ['contact.created', null],
    ]);
    expect(new Date(items[2]!.occurredAt).getTime()).toBeLessThanOrEqual(new Date(items[0]!.occurredAt).getTime());
    expect((await alice.client.contacts.history.query({ id: contact.id, limit: 1 })).items).toHaveLength(1);

    const theirs = await failureOf(bob.client.contacts.history.query({ id: contact.id }));
    const missing = await failureOf(bob.client.contacts.history.query({ id: '6f1c1d2e-6a9b-4f7e-9a51-0d3c2b1a0f99' }));
    expect(theirs.data).toMatchObject({ code: 'NOT_FOUND', reason: 'contact_not_found' });
    expect((theirs.error as Error).message).toBe((missing.error as Error).message);
  });
});

describe('import preview and undo', () => {
  it('previews without writing: new, duplicate (in the file or existing) and invalid rows', async () => {
    const owner = await signUp(server);
    await owner.client.contacts.create.mutate({ name: 'Existing', email: 'taken@example.com' });
    const rows = [{ name: 'New one', email: 'new@example.com' }, { name: 'Taken', email: 'TAKEN@example.com' }, { name: 'Again', email: 'new@example.com' }, { name: '' }, { name: 'No email' }];
    const preview = await owner.client.contacts.previewImport.mutate({ contacts: rows });
    expect(preview).toMatchObject({ new: 2, duplicates: 2, invalid: 1 });
    expect(preview.results.map((r) => r.status)).toEqual(['new', 'duplicate', 'duplicate', 'invalid', 'new']);
    expect(preview.results[2]).toEqual({ index: 2, status: 'duplicate', duplicateOf: 0 });
    const [count] = await db`select count(*)::int as n from contacts where owner_id = ${owner.id}`;
    expect(count!.n).toBe(1);
    // The import then does what the preview said.
    expect(await owner.client.contacts.importMany.mutate({ contacts: rows })).toMatchObject({ created: 2, duplicates: 2, invalid: 1, importId: expect.any(String) });
  });

  it('undoes an import: deletes its unchanged contacts, keeps edited ones, once, for its owner', async () => {
    const owner = await signUp(server);
    const before = await owner.client.contacts.create.mutate({ name: 'Before the import' });
    const imported = await owner.client.contacts.importMany.mutate({ contacts: [{ name: 'Imp 1' }, { name: 'Imp 2' }, { name: 'Imp 3' }] });
    const ids = imported.results.flatMap((r) => (r.status === 'created' ? [r.id] : []));
    await owner.client.contacts.update.mutate({ id: ids[0]!, notes: 'edited after the import' });

    expect((await failureOf(bob.client.contacts.undoImport.mutate({ importId: imported.importId! }))).data).toMatchObject({ code: 'NOT_FOUND', reason: 'import_not_found' });
    expect(await owner.client.contacts.undoImport.mutate({ importId: imported.importId! })).toEqual({ deleted: 2, kept: 1 });
    expect((await allNames(owner, { sort: 'name' })).sort()).toEqual(['Before the import', 'Imp 1']);
    expect(await owner.client.contacts.get.query({ id: before.id })).toEqual(before);
    const [events] = await db`select count(*)::int as n from outbox_events where type = 'contact.deleted' and aggregate_id = any(${ids}::uuid[])`;
    expect(events!.n).toBe(2);
    expect((await failureOf(owner.client.contacts.undoImport.mutate({ importId: imported.importId! }))).data?.reason).toBe('import_not_found');
  });

  it('refuses to undo after 10 minutes, with a clear error', async () => {
    const owner = await signUp(server);
    const imported = await owner.client.contacts.importMany.mutate({ contacts: [{ name: 'Old import' }] });
    await db`update contact_imports set created_at = now() - interval '601 seconds' where id = ${imported.importId!}`;
    const failure = await failureOf(owner.client.contacts.undoImport.mutate({ importId: imported.importId! }));
    expect(failure.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'import_undo_expired' });
    expect((failure.error as Error).message).toMatch(/10 minutes/);
    expect(await allNames(owner, { sort: 'name' })).toEqual(['Old import']);
    // The next import removes batches past the window; their contacts stay.
    const next = await owner.client.contacts.importMany.mutate({ contacts: [{ name: 'New import' }] });
    const batches = await db`select id from contact_imports where owner_id = ${owner.id}`;
    expect(batches.map((row) => row.id)).toEqual([next.importId]);
    expect(await allNames(owner, { sort: 'name' })).toEqual(['New import', 'Old import']);
  });

  it('creates no batch when nothing was imported', async () => {
    const owner = await signUp(server);
    expect(await owner.client.contacts.importMany.mutate({ contacts: [{ name: '' }] })).toMatchObject({ importId: null, created: 0 });
  });
});

describe('CSV export', () => {
  const exportCsv = (query: Record<string, string>, headers: Record<string, string>) =>
    fetch(`${server.url}/api/contacts/export.csv?${new URLSearchParams(query)}`, { headers });

  it('streams the filtered contacts as RFC 4180 CSV with a BOM, every page, owner-scoped', async () => {
    const owner = await signUp(server);
    const tricky = { name: 'Quote "Q" Smith, Jr.', email: 'q@example.com', company: '=HYPERLINK("x")', notes: 'line one\nline two', phone: '+44 20 7946 0000', tags: ['vip', 'ünïcode'] };
    await owner.client.contacts.create.mutate(tricky);
    await owner.client.contacts.importMany.mutate({ contacts: Array.from({ length: 1000 }, (_, i) => ({ name: `Bulk ${String(i).padStart(4, '0')}`, tags: ['bulk'] })) });
    await bob.client.contacts.create.mutate({ name: 'Bob only', tags: ['bulk'] });

    const response = await exportCsv({ sort: 'name', direction: 'asc' }, { authorization: `Bearer ${owner.accessToken}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="contacts.csv"');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const records: string[][] = parse(text, { bom: true, relax_column_count: false });
    expect(records[0]).toEqual(['name', 'email', 'phone', 'company', 'tags', 'notes', 'createdAt', 'updatedAt']);
    expect(records).toHaveLength(1002);
    expect(records.slice(1, 4).map((r) => r[0])).toEqual(['Bulk 0000', 'Bulk 0001', 'Bulk 0002']);
    const row = records.find((r) => r[1] === 'q@example.com')!;
    expect(row.slice(0, 6)).toEqual([tricky.name, tricky.email, tricky.phone, `'${tricky.company}`, 'vip, ünïcode', tricky.notes]);
    expect(text).toContain('"Quote ""Q"" Smith, Jr."');
    expect(text.split('\r\n').length).toBeGreaterThan(1002);

    const filtered = parse(await (await exportCsv({ search: 'quote' }, { authorization: `Bearer ${owner.accessToken}` })).text(), { bom: true });
    expect(filtered).toHaveLength(2);
    const bobs = parse(await (await exportCsv({ tag: 'bulk' }, { authorization: `Bearer ${bob.accessToken}` })).text(), { bom: true }) as string[][];
    expect(bobs.slice(1).map((r) => r[0])).toEqual(['Bob only']);
  });

  it('authenticates like the API: none, a bad filter, a key without contacts:read', async () => {
    const anonymous = await exportCsv({}, {});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { data: { reason: 'unauthenticated', requestId: expect.any(String) } } });

    const invalid = await exportCsv({ sort: 'nope', extra: '1' }, { authorization: `Bearer ${alice.accessToken}` });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { data: { reason: 'validation_failed', fieldErrors: { sort: [expect.any(String)] } } } });

    const wrongScope = await alice.client.apiKeys.create.mutate({ name: 'writer', scopes: ['contacts:write'] });
    const refused = await exportCsv({}, { authorization: `Bearer ${wrongScope.key}` });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { data: { reason: 'insufficient_scope' } } });
    const reader = await alice.client.apiKeys.create.mutate({ name: 'reader', scopes: ['contacts:read'] });
    expect((await exportCsv({}, { authorization: `Bearer ${reader.key}` })).status).toBe(200);
  });
});
