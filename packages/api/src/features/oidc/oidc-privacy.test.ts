import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { schema } from '@bastion/db';
import { eraseDueAccounts } from '../privacy/erasure.ts';
import { buildArchive } from '../privacy/archive.ts';
import { type TestServer, uniqueEmail } from '../../../../../test/helpers/server.ts';
import { signUp } from '../../../../../test/helpers/users.ts';
import { fullFlow, startOidcTestServer, type MockIssuer } from '../../../../../test/helpers/oidc.ts';

let server: TestServer;
let mock: MockIssuer;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => ({ server, mock, close } = await startOidcTestServer()));
afterAll(() => close?.());

async function linked() {
  const user = await signUp(server);
  mock.identity = { sub: `google-${randomBytes(6).toString('hex')}`, email: uniqueEmail('privacy'), email_verified: true };
  const before = mock.issuedTokens.length;
  expect((await fullFlow(server, { provider: 'google', intent: 'link' }, { authorization: `Bearer ${user.accessToken}` })).location).toBe('/');
  return { user, identity: mock.identity, tokens: mock.issuedTokens.slice(before) };
}

it('the data export lists connected accounts without any token', async () => {
  const { user, identity, tokens } = await linked();
  const files = unzipSync(new Uint8Array(await buildArchive(server.deps.db, user.id)));
  const accounts = JSON.parse(strFromU8(files['connected_accounts.json']!)) as unknown[];
  expect(accounts).toEqual([expect.objectContaining({ provider: 'google', subject: identity.sub, email: identity.email, status: 'active' })]);
  const all = Object.values(files).map((bytes) => strFromU8(bytes)).join('\n');
  for (const token of tokens) expect(all).not.toContain(token);
  expect(strFromU8(files['connected_accounts.json']!)).not.toMatch(/sealed|token/i);
});

it('the erasure revokes the provider tokens, then the rows go', async () => {
  const { user } = await linked();
  const revocations: unknown[] = [];
  const onRevoke = (response: unknown) => revocations.push(response);
  mock.server.service.on('beforeRevoke', onRevoke);
  await server.deps.db.update(schema.users).set({ deletionScheduledAt: sql`now() - interval '1 second'` }).where(eq(schema.users.id, user.id));
  expect(await eraseDueAccounts({ db: server.deps.db, config: server.deps.config, logger: server.deps.logger, jobs: server.deps.jobs })).toMatchObject({ erased: 1, failed: 0 });
  mock.server.service.off('beforeRevoke', onRevoke);
  expect(revocations).toHaveLength(1);
  expect(await server.deps.db.select({ id: schema.connectedAccounts.id }).from(schema.connectedAccounts).where(eq(schema.connectedAccounts.userId, user.id))).toHaveLength(0);
});
