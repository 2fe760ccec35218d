import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { post, startTestServer, type TestServer } from '../../../../../test/helpers/server.ts';
import { failureOf, signUp } from '../../../../../test/helpers/users.ts';

let server: TestServer;
let db: postgres.Sql;
let alice: Awaited<ReturnType<typeof signUp>>;
let bob: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  const url = await createTestDatabase();
  server = await startTestServer({}, url);
  db = postgres(url, { max: 2, onnotice: () => {} });
  [alice, bob] = await Promise.all([signUp(server, 'Alice'), signUp(server, 'Bob')]);
});

afterAll(async () => {
  await db?.end();
  await server?.close();
});

const outboxOf = (id: string) => db<{ type: string; owner_id: string; payload: Record<string, unknown> }[]>`
  select type, owner_id, payload from outbox_events where aggregate_id = ${id} order by occurred_at, type`;

describe('contacts CRUD', () => {
  it('creates, reads, updates and deletes a contact, each change with its outbox event', async () => {
    const created = await alice.client.contacts.create.mutate({
      name: '  Ada Lovelace ',
      email: 'ada@example.com',
      tags: ['Math', 'math', 'history'],
      company: '',
    });
    expect(created).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', company: null, phone: null, tags: ['math', 'history'] });
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
    expect(await alice.client.contacts.get.query({ id: created.id })).toEqual(created);

    const updated = await alice.client.contacts.update.mutate({ id: created.id, phone: '+44 20 7946 0000', email: null });
    expect(updated).toMatchObject({ id: created.id, name: 'Ada Lovelace', phone: '+44 20 7946 0000', email: null });
    expect(updated.updatedAt >= created.updatedAt).toBe(true);

    await alice.client.contacts.delete.mutate({ id: created.id });
    expect((await failureOf(alice.client.contacts.get.query({ id: created.id }))).data?.code).toBe('NOT_FOUND');

    const events = await outboxOf(created.id);
    expect(events.map((event) => event.type).sort()).toEqual(['contact.created', 'contact.deleted', 'contact.updated']);
    expect(events.every((event) => event.owner_id === alice.id)).toBe(true);
    const update = events.find((event) => event.type === 'contact.updated')!;
    expect(update.payload).toMatchObject({ changed: ['email', 'phone'], contact: { id: created.id, phone: '+44 20 7946 0000' } });
  });

  it('writes the contact and its event in one transaction: a failing event write leaves no contact', async () => {
    await db`alter table outbox_events add constraint test_refuse_events check (type <> 'contact.created') not valid`;
    try {
      const before = await db`select count(*)::int as n from contacts where owner_id = ${alice.id}`;
      const failure = await failureOf(alice.client.contacts.create.mutate({ name: 'Never stored' }));
      expect(failure.data?.httpStatus).toBe(400);
      const after = await db`select count(*)::int as n from contacts where owner_id = ${alice.id}`;
      expect(after[0]!.n).toBe(before[0]!.n);
    } finally {
      await db`alter table outbox_events drop constraint test_refuse_events`;
    }
  });

  it('keeps emails unique per owner, case-insensitively, and says which field', async () => {
    await alice.client.contacts.create.mutate({ name: 'Grace', email: 'grace@navy.mil' });
    const failure = await failureOf(alice.client.contacts.create.mutate({ name: 'Grace again', email: 'GRACE@Navy.mil' }));
    expect(failure.data).toMatchObject({ code: 'CONFLICT', reason: 'contact_email_taken', fieldErrors: { email: [expect.any(String)] } });
    // Another owner may have the same address.
    await expect(bob.client.contacts.create.mutate({ name: 'Grace', email: 'grace@navy.mil' })).resolves.toMatchObject({ email: 'grace@navy.mil' });
    // And an update into a taken address is refused the same way.
    const other = await alice.client.contacts.create.mutate({ name: 'Other' });
    expect((await failureOf(alice.client.contacts.update.mutate({ id: other.id, email: 'grace@navy.mil' }))).data?.reason).toBe('contact_email_taken');
  });

  it('validates fields with field errors, in zod as in SQL', async () => {
    const response = await post(server, 'contacts.create', { name: '', email: 'nope', tags: Array.from({ length: 21 }, (_, i) => `t${i}`), phone: 'call me' }, { authorization: `Bearer ${alice.accessToken}` });
    expect(response.status).toBe(400);
    const data = (response.json as { error: { data: { fieldErrors: Record<string, string[]> } } }).error.data;
    expect(Object.keys(data.fieldErrors).sort()).toEqual(['email', 'name', 'phone', 'tags']);
    // NUL cannot be stored by PostgreSQL: refused by validation, not by a database error.
    const nul = await failureOf(alice.client.contacts.create.mutate({ name: 'Nul\u0000Byte' }));
    expect(nul.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'validation_failed' });
  });
});

describe('mass assignment', () => {
  it('refuses owner, id and timestamps on create and update, and changes nothing', async () => {
    const forged = { name: 'Forged', ownerId: bob.id, owner_id: bob.id, id: '00000000-0000-4000-8000-000000000001', createdAt: '2000-01-01T00:00:00.000Z' };
    const response = await post(server, 'contacts.create', forged, { authorization: `Bearer ${alice.accessToken}` });
    expect(response.status).toBe(400);
    expect((await db`select count(*)::int as n from contacts where name = 'Forged' or id = ${forged.id}`)[0]!.n).toBe(0);

    const mine = await alice.client.contacts.create.mutate({ name: 'Mine' });
    const update = await post(server, 'contacts.update', { id: mine.id, ownerId: bob.id, updatedAt: '2000-01-01T00:00:00.000Z' }, { authorization: `Bearer ${alice.accessToken}` });
    expect(update.status).toBe(400);
    const [row] = await db`select owner_id, updated_at from contacts where id = ${mine.id}`;
    expect(row!.owner_id).toBe(alice.id);
    expect((row!.updated_at as Date).toISOString()).toBe(mine.updatedAt);
  });
});

describe('ownership (IDOR)', () => {
  it("answers NOT_FOUND for another user's contact on get, update and delete, and changes nothing", async () => {
    const secret = await alice.client.contacts.create.mutate({ name: 'Private', email: 'private@example.com' });
    const missing = { id: '6f1c1d2e-6a9b-4f7e-9a51-0d3c2b1a0f99' };
    const notFound = async (call: Promise<unknown>) => {
      const failure = await failureOf(call);
      return { code: failure.data?.code, reason: failure.data?.reason, message: (failure.error as Error).message };
    };
    // The same answer as for an id that does not exist: no existence oracle.
    const expected = await notFound(bob.client.contacts.get.query(missing));
    expect(expected).toMatchObject({ code: 'NOT_FOUND', reason: 'contact_not_found' });
    expect(await notFound(bob.client.contacts.get.query({ id: secret.id }))).toEqual(expected);
    expect(await notFound(bob.client.contacts.update.mutate({ id: secret.id, name: 'Hijacked' }))).toEqual(expected);
    expect(await notFound(bob.client.contacts.delete.mutate({ id: secret.id }))).toEqual(expected);
    expect(await bob.client.contacts.deleteMany.mutate({ ids: [secret.id] })).toEqual({ deleted: 0 });

    expect(await alice.client.contacts.get.query({ id: secret.id })).toEqual(secret);
    expect((await outboxOf(secret.id)).map((event) => event.type)).toEqual(['contact.created']);
    const bobsList = await bob.client.contacts.list.query({ search: 'Private' });
    expect(bobsList.items).toEqual([]);
  });

  it('deleteMany deletes only the caller’s own contacts and counts them', async () => {
    const mine = await Promise.all(['One', 'Two', 'Three'].map((name) => bob.client.contacts.create.mutate({ name: `Bulk ${name}` })));
    const theirs = await alice.client.contacts.create.mutate({ name: 'Bulk Alice' });
    const result = await bob.client.contacts.deleteMany.mutate({ ids: [...mine.map((c) => c.id), theirs.id, mine[0]!.id] });
    expect(result).toEqual({ deleted: 3 });
    expect(await alice.client.contacts.get.query({ id: theirs.id })).toEqual(theirs);
    const events = await db`select count(*)::int as n from outbox_events where type = 'contact.deleted' and aggregate_id = any(${mine.map((c) => c.id)}::uuid[])`;
    expect(events[0]!.n).toBe(3);
  });
});
