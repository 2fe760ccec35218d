import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { createDb, rawRead, schema, type DbHandle } from '../src/index.ts';

const c = schema.contacts;
let handle: DbHandle;
let owner: string;

beforeAll(async () => {
  handle = createDb({ url: await createTestDatabase(), poolMax: 2, idleTimeoutSeconds: 5, maxLifetimeSeconds: 60, connectTimeoutSeconds: 5, statementTimeoutMs: 5_000 });
  owner = randomUUID();
  await handle.sql`insert into users (id, email, name) values (${owner}, ${`raw-read-${owner}@example.com`}, 'Raw Read')`;
  await handle.sql`insert into contacts (owner_id, name, email, tags) values (${owner}, 'Ada', 'ada@example.com', array['a', 'b']), (${owner}, 'Grace', null, '{}')`;
});
afterAll(() => handle?.close());

describe('rawRead', () => {
  it("answers what drizzle's execute answers, placeholders filled by name", async () => {
    const fields = { id: c.id, name: c.name, email: c.email, tags: c.tags, upper: sql<string>`upper(${c.name})` };
    const query = handle.db
      .select(fields)
      .from(c)
      .where(and(eq(c.ownerId, sql.placeholder('owner')), eq(c.name, sql.placeholder('name'))))
      .limit(sql.placeholder('limit'));
    const read = rawRead(handle.db, fields, query);
    for (const name of ['Ada', 'Grace', 'Nobody']) {
      const values = { owner, name, limit: 5 };
      expect(await read(values)).toEqual(await query.prepare(`raw_read_${name}`).execute(values));
    }
    expect(await read({ owner, name: 'Ada', limit: 5 })).toEqual([{ id: expect.any(String), name: 'Ada', email: 'ada@example.com', tags: ['a', 'b'], upper: 'ADA' }]);
  });

  it('refuses a column drizzle would decode (a timestamp read as a Date)', () => {
    const fields = { id: c.id, createdAt: c.createdAt };
    expect(() => rawRead(handle.db, fields, handle.db.select(fields).from(c))).toThrow(/createdAt needs drizzle's decoding/);
  });
});
