import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, schema, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { resealTwoFactorSecrets } from './reseal-secrets.ts';
import { openSecret, sealSecret } from './two-factor.service.ts';

const OLD = { kid: 'old', secret: randomBytes(32) };
const NEW = { kid: 'new', secret: randomBytes(32) };
let handle: DbHandle;

beforeAll(async () => {
  handle = createDb({ url: await createTestDatabase(), poolMax: 2, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 5000 });
});

afterAll(async () => {
  await handle.close();
});

it('reseals every secret under the current key, in batches, keeping each one readable', async () => {
  const { db } = handle;
  const users = await db
    .insert(schema.users)
    .values(Array.from({ length: 7 }, (_, i) => ({ email: `reseal-${i}@example.com`, passwordHash: 'x' })))
    .returning({ id: schema.users.id });
  const secrets = new Map(users.map((user) => [user.id, randomBytes(20).toString('hex')]));
  // Five sealed with the old key, two already with the new one.
  await db.insert(schema.userTwoFactor).values(
    users.map((user, i) => ({ userId: user.id, secretEncrypted: sealSecret(i < 5 ? [OLD] : [NEW], user.id, secrets.get(user.id)!) })),
  );

  expect(await resealTwoFactorSecrets(db, [NEW, OLD], 2)).toEqual({ resealed: 5, skipped: 0 });

  const rows = await db.select({ userId: schema.userTwoFactor.userId, secretEncrypted: schema.userTwoFactor.secretEncrypted }).from(schema.userTwoFactor);
  expect(rows).toHaveLength(7);
  for (const row of rows) {
    expect(row.secretEncrypted.startsWith('v1.new.')).toBe(true);
    // The old key can now leave the ring.
    expect(openSecret([NEW], row.userId, row.secretEncrypted)).toBe(secrets.get(row.userId));
  }
  expect(await resealTwoFactorSecrets(db, [NEW, OLD])).toEqual({ resealed: 0, skipped: 0 });
});
