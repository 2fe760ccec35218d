import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, schema, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { resealConnectedAccountTokens } from './reseal-tokens.ts';
import { openToken, sealToken } from './tokens.ts';

const OLD = { kid: 'old', secret: randomBytes(32) };
const NEW = { kid: 'new', secret: randomBytes(32) };
let handle: DbHandle;

beforeAll(async () => {
  handle = createDb({ url: await createTestDatabase(), poolMax: 2, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 5000 });
});

afterAll(async () => {
  await handle.close();
});

it('reseals every access and refresh token under the current key, in batches, keeping each readable', async () => {
  const { db } = handle;
  const users = await db
    .insert(schema.users)
    .values(Array.from({ length: 7 }, (_, i) => ({ email: `reseal-ca-${i}@example.com`, passwordHash: null })))
    .returning({ id: schema.users.id });
  const accounts = users.map((user, i) => ({ id: randomUUID(), userId: user.id, access: `at-${i}-${randomBytes(8).toString('hex')}`, refresh: i % 2 === 0 ? `rt-${i}-${randomBytes(8).toString('hex')}` : null }));
  // Five sealed with the old key (some without a refresh token), two already with the new one.
  await db.insert(schema.connectedAccounts).values(
    accounts.map((account, i) => {
      const keys = i < 5 ? [OLD] : [NEW];
      return {
        id: account.id,
        userId: account.userId,
        provider: 'google',
        subject: `sub-${i}`,
        accessTokenSealed: sealToken(keys, 'access_token', account, account.access),
        refreshTokenSealed: account.refresh ? sealToken(keys, 'refresh_token', account, account.refresh) : null,
      };
    }),
  );

  expect(await resealConnectedAccountTokens(db, [NEW, OLD], 2)).toEqual({ resealed: 5, skipped: 0 });

  const rows = await db
    .select({ id: schema.connectedAccounts.id, userId: schema.connectedAccounts.userId, accessTokenSealed: schema.connectedAccounts.accessTokenSealed, refreshTokenSealed: schema.connectedAccounts.refreshTokenSealed })
    .from(schema.connectedAccounts);
  expect(rows).toHaveLength(7);
  for (const row of rows) {
    const account = accounts.find((candidate) => candidate.id === row.id)!;
    expect(row.accessTokenSealed!.startsWith('v1.new.')).toBe(true);
    // The old key can now leave the ring.
    expect(openToken([NEW], 'access_token', row, row.accessTokenSealed!)).toBe(account.access);
    if (account.refresh) expect(openToken([NEW], 'refresh_token', row, row.refreshTokenSealed!)).toBe(account.refresh);
    else expect(row.refreshTokenSealed).toBeNull();
  }
  expect(await resealConnectedAccountTokens(db, [NEW, OLD])).toEqual({ resealed: 0, skipped: 0 });
});
