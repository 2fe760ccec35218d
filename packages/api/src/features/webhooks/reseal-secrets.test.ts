import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { resealWebhookSecrets } from './reseal-secrets.ts';
import { sealEndpointSecret, signingSecrets } from './secrets.ts';
import { generateSecret } from './signature.ts';

const oldKey = { kid: 'old', secret: Buffer.alloc(32, 1) };
const newKey = { kid: 'new', secret: Buffer.alloc(32, 2) };
let handle: DbHandle;

beforeAll(async () => {
  handle = createDb({ url: await createTestDatabase(), poolMax: 2, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 });
});
afterAll(async () => {
  await handle?.close();
});

describe('resealWebhookSecrets', () => {
  it('re-seals current and previous secrets under the new key; they still sign the same; the old key can go', async () => {
    const [owner] = await handle.sql<{ id: string }[]>`insert into users (email, password_hash) values (${`r-${randomUUID()}@example.com`}, 'x') returning id`;
    const id = randomUUID();
    const current = generateSecret();
    const previous = generateSecret();
    await handle.sql`insert into webhook_endpoints (id, owner_id, url, events, secret_sealed, previous_secret_sealed, previous_secret_expires_at)
      values (${id}, ${owner!.id}, 'https://example.com/', ${['*']}, ${sealEndpointSecret([oldKey], id, current)}, ${sealEndpointSecret([oldKey], id, previous, 'previous')}, now() + interval '1 hour')`;
    expect(await resealWebhookSecrets(handle.db, [newKey, oldKey])).toEqual({ resealed: 1, skipped: 0 });
    const [row] = await handle.sql<{ secret_sealed: string; previous_secret_sealed: string; previous_secret_expires_at: Date }[]>`
      select secret_sealed, previous_secret_sealed, previous_secret_expires_at from webhook_endpoints where id = ${id}`;
    expect(row!.secret_sealed).toMatch(/^v1\.new\./);
    expect(row!.previous_secret_sealed).toMatch(/^v1\.new\./);
    const endpoint = { id, secretSealed: row!.secret_sealed, previousSecretSealed: row!.previous_secret_sealed, previousSecretExpiresAt: new Date(row!.previous_secret_expires_at) };
    expect(signingSecrets([newKey], endpoint)).toEqual([current, previous]);
    expect(await resealWebhookSecrets(handle.db, [newKey, oldKey])).toEqual({ resealed: 0, skipped: 0 });
  });
});
