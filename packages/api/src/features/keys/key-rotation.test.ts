import { randomBytes, randomUUID } from 'node:crypto';
import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, schema, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { decrypt, encrypt } from '../../lib/crypto/key-ring.ts';
import { keyIdsInUse, rotateSealedColumns, sealedKeyUsage, type RotationProgress } from './key-rotation.ts';
import { SEALED_COLUMNS } from './sealed-columns.ts';

/** Sealed values seeded: 120 TOTP secrets, 120 access and 60 refresh tokens, 40 current and 20 previous webhook secrets. */
const ROWS = 120 + 120 + 60 + 40 + 20;
const OLD = { kid: 'old', secret: randomBytes(32) };
const NEW = { kid: 'new', secret: randomBytes(32) };
let handle: DbHandle;

beforeAll(async () => {
  handle = createDb({ url: await createTestDatabase(), poolMax: 6, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 });
});
afterAll(async () => {
  await handle?.close();
});

/** What every sealed row must decrypt to: `<column>|<id>` → plaintext. */
const expected = new Map<string, string>();
const byColumn = (name: string) => SEALED_COLUMNS.find((c) => c.name === name)!;

async function seal(column: string, id: string, keys: typeof OLD[], owner = '') {
  const plaintext = randomBytes(16).toString('hex');
  expected.set(`${column}|${id}`, plaintext);
  return encrypt(keys, plaintext, byColumn(column).context(id, owner));
}

async function seed(users: number, endpoints: number) {
  const ids: { users: string[]; endpoints: string[]; accounts: { id: string; userId: string }[] } = { users: [], endpoints: [], accounts: [] };
  for (let i = 0; i < users; i++) {
    const [user] = await handle.sql<{ id: string }[]>`insert into users (email, password_hash) values (${`rot-${randomUUID()}@example.com`}, 'x') returning id`;
    await handle.sql`insert into user_two_factor (user_id, secret_encrypted) values (${user!.id}, ${await seal('user_two_factor.secret_encrypted', user!.id, [OLD])})`;
    ids.users.push(user!.id);
    // A connected account per user, every other one with a refresh token.
    const account = { id: randomUUID(), userId: user!.id };
    const access = await seal('connected_accounts.access_token_sealed', account.id, [OLD], account.userId);
    const refresh = i % 2 === 0 ? await seal('connected_accounts.refresh_token_sealed', account.id, [OLD], account.userId) : null;
    await handle.sql`insert into connected_accounts (id, user_id, provider, subject, access_token_sealed, refresh_token_sealed)
      values (${account.id}, ${account.userId}, 'google', ${`sub-${account.id}`}, ${access}, ${refresh})`;
    ids.accounts.push(account);
  }
  const [owner] = await handle.sql<{ id: string }[]>`insert into users (email, password_hash) values (${`rot-${randomUUID()}@example.com`}, 'x') returning id`;
  for (let i = 0; i < endpoints; i++) {
    const id = randomUUID();
    const current = await seal('webhook_endpoints.secret_sealed', id, [OLD]);
    // Every other endpoint is mid-rotation: its previous secret is sealed too.
    const previous = i % 2 === 0 ? await seal('webhook_endpoints.previous_secret_sealed', id, [OLD]) : null;
    await handle.sql`insert into webhook_endpoints (id, owner_id, url, events, secret_sealed, previous_secret_sealed, previous_secret_expires_at)
      values (${id}, ${owner!.id}, 'https://example.com/', ${['*']}, ${current}, ${previous}, ${previous ? new Date(Date.now() + 3_600_000).toISOString() : null})`;
    ids.endpoints.push(id);
  }
  return ids;
}

/** Every sealed value in the database opens with `keys` to what was written. */
async function expectAllReadable(keys: typeof OLD[]) {
  let checked = 0;
  for (const column of SEALED_COLUMNS) {
    const [table, name] = column.name.split('.') as [string, string];
    const idName = column.id.name;
    const owner = column.owner ? `${column.owner.name}::text` : `''`;
    const rows = await handle.sql.unsafe<{ id: string; owner: string; value: string }[]>(`select ${idName}::text as id, ${owner} as owner, ${name} as value from ${table} where ${name} is not null`);
    for (const row of rows) {
      const want = expected.get(`${column.name}|${row.id}`);
      if (want === undefined) continue; // rows of other tests in this database
      expect(decrypt(keys, row.value, column.context(row.id, row.owner))).toBe(want);
      checked++;
    }
  }
  return checked;
}

describe('the sealed-column registry', () => {
  it('names every column the schema declares as sealed or encrypted', () => {
    const tables: PgTable[] = Object.values(schema as Record<string, unknown>).filter((value): value is PgTable => is(value, PgTable));
    const declared = tables
      .flatMap((table) => Object.values(getTableColumns(table)).map((column) => `${getTableName(table)}.${column.name}`))
      .filter((name) => /_(sealed|encrypted)$/.test(name))
      .sort();
    expect(SEALED_COLUMNS.map((c) => c.name).sort()).toEqual(declared);
  });
});

describe('rotateSealedColumns', () => {
  it('moves every sealed value to the first key while the application keeps writing, and then the old key can go', async () => {
    const ids = await seed(120, 40);
    let writing = true;
    let writes = 0;
    // The application during the rotation: it already has the new ring, so it seals with NEW.
    const application = (async () => {
      while (writing) {
        const user = ids.users[writes % ids.users.length]!;
        await handle.sql`update user_two_factor set secret_encrypted = ${await seal('user_two_factor.secret_encrypted', user, [NEW, OLD])} where user_id = ${user}`;
        const endpoint = ids.endpoints[writes % ids.endpoints.length]!;
        await handle.sql`update webhook_endpoints set secret_sealed = ${await seal('webhook_endpoints.secret_sealed', endpoint, [NEW, OLD])} where id = ${endpoint}`;
        // A provider token refreshed meanwhile: sealed anew under the first key.
        const account = ids.accounts[writes % ids.accounts.length]!;
        await handle.sql`update connected_accounts set access_token_sealed = ${await seal('connected_accounts.access_token_sealed', account.id, [NEW, OLD], account.userId)} where id = ${account.id}`;
        writes++;
      }
    })();
    const progress: RotationProgress[] = [];
    const reports = await rotateSealedColumns(handle.db, [NEW, OLD], { batchSize: 7, onProgress: (p) => progress.push(p) });
    writing = false;
    await application;

    expect(writes).toBeGreaterThan(0);
    expect(reports.map((r) => r.column)).toEqual(SEALED_COLUMNS.map((c) => c.name));
    for (const report of reports) expect(report.resealed + report.skipped).toBeLessThanOrEqual(report.pending);
    expect(reports.reduce((n, r) => n + r.resealed, 0)).toBeGreaterThan(0);
    // Progress is reported per batch and ends with a done entry for each column.
    expect(progress.filter((p) => p.done).map((p) => p.column)).toEqual(SEALED_COLUMNS.map((c) => c.name));
    expect(progress.length).toBeGreaterThan(SEALED_COLUMNS.length);

    expect(keyIdsInUse(await sealedKeyUsage(handle.db))).toEqual(['new']);
    // The old key removed from the ring: everything still reads, nothing was lost.
    expect(await expectAllReadable([NEW])).toBe(ROWS);
    const again = await rotateSealedColumns(handle.db, [NEW, OLD]);
    expect(again.every((r) => r.pending === 0 && r.resealed === 0)).toBe(true);
  });

  it('resumes an interrupted run by running again', async () => {
    const THIRD = { kid: 'third', secret: randomBytes(32) };
    let batches = 0;
    await expect(
      rotateSealedColumns(handle.db, [THIRD, NEW, OLD], {
        batchSize: 10,
        onProgress: () => {
          if (++batches === 3) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const midway = keyIdsInUse(await sealedKeyUsage(handle.db));
    expect(midway).toEqual(['new', 'third']);
    await rotateSealedColumns(handle.db, [THIRD, NEW, OLD], { batchSize: 10 });
    expect(keyIdsInUse(await sealedKeyUsage(handle.db))).toEqual(['third']);
    expect(await expectAllReadable([THIRD])).toBe(ROWS);
  });

  it('refuses a ring without the key a stored value names, and changes nothing', async () => {
    const before = await sealedKeyUsage(handle.db);
    await expect(rotateSealedColumns(handle.db, [NEW])).rejects.toThrow(/no key "third"/);
    expect(await sealedKeyUsage(handle.db)).toEqual(before);
  });
});
