import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { startTestServer, type TestServer } from '../../../../../test/helpers/server.ts';
import { failureOf, metricValue, signUp } from '../../../../../test/helpers/users.ts';

/** Two instances on one database, as behind a load balancer. A long TTL: only invalidation can explain freshness. */
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  const url = await createTestDatabase();
  // Statements are counted on the pool: rate-limit counters live in memory here, not in the database.
  const env = { PREFERENCES_CACHE_TTL_MS: '600000', RATE_LIMIT_STORE: 'memory' };
  [a, b] = await Promise.all([startTestServer(env, url), startTestServer(env, url)]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe('preferences', () => {
  it('starts with defaults and updates only the given fields', async () => {
    const user = await signUp(a);
    expect(await user.client.preferences.get.query()).toEqual({ theme: 'system', timeZone: 'UTC', locale: 'en', emailNotifications: true, updatedAt: null });
    const updated = await user.client.preferences.update.mutate({ theme: 'dark', timeZone: 'Europe/Paris', locale: 'fr-ca' });
    expect(updated).toMatchObject({ theme: 'dark', timeZone: 'Europe/Paris', locale: 'fr-CA', emailNotifications: true });
    expect(await user.client.preferences.update.mutate({ emailNotifications: false })).toMatchObject({ theme: 'dark', emailNotifications: false });
    expect(await user.client.preferences.get.query()).toMatchObject({ theme: 'dark', timeZone: 'Europe/Paris', emailNotifications: false });
  });

  it('refuses unknown time zones, offsets, bad locales and unknown fields', async () => {
    const user = await signUp(a);
    for (const timeZone of ['Mars/Olympus_Mons', '+01:00', 'UTC; drop table users', '']) {
      const failure = await failureOf(user.client.preferences.update.mutate({ timeZone }));
      expect(failure.data).toMatchObject({ reason: 'validation_failed', fieldErrors: { timeZone: [expect.any(String)] } });
    }
    expect((await failureOf(user.client.preferences.update.mutate({ locale: 'not a locale!' }))).data?.fieldErrors).toHaveProperty('locale');
    expect((await failureOf(user.client.preferences.update.mutate({ theme: 'neon' as 'dark' }))).data?.reason).toBe('validation_failed');
    expect((await failureOf(user.client.preferences.update.mutate({ userId: 'x' } as never))).data?.reason).toBe('validation_failed');
  });

  it('serves 100 reads by one user with at most 20 database statements', async () => {
    const user = await signUp(a);
    await user.client.preferences.update.mutate({ theme: 'light' });
    const statementsBefore = await metricValue(a, 'bastion_db_statements_total');
    const hitsBefore = await metricValue(a, 'bastion_cache_lookups_total{cache="preferences",result="hit"}');
    for (let i = 0; i < 50; i++) expect((await user.client.preferences.get.query()).theme).toBe('light');
    await Promise.all(Array.from({ length: 50 }, () => user.client.preferences.get.query()));
    const statements = (await metricValue(a, 'bastion_db_statements_total')) - statementsBefore;
    // Every statement the instance sent counts, authentication and the metrics scrapes included.
    expect(statements).toBeLessThanOrEqual(20);
    expect((await metricValue(a, 'bastion_cache_lookups_total{cache="preferences",result="hit"}')) - hitsBefore).toBeGreaterThanOrEqual(99);
  });

  it('an update through instance A is seen through instance B within a second', async () => {
    const user = await signUp(a);
    const onB = b.client({ accessToken: user.accessToken });
    expect((await onB.preferences.get.query()).theme).toBe('system'); // now cached on B for ten minutes
    await user.client.preferences.update.mutate({ theme: 'dark' });
    const deadline = Date.now() + 1_000;
    let seen = (await onB.preferences.get.query()).theme;
    while (seen !== 'dark' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      seen = (await onB.preferences.get.query()).theme;
    }
    expect(seen).toBe('dark');
    // And back the other way.
    await onB.preferences.update.mutate({ theme: 'light' });
    const until = Date.now() + 1_000;
    while ((await user.client.preferences.get.query()).theme !== 'light' && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
    expect((await user.client.preferences.get.query()).theme).toBe('light');
  });

  it("never serves one user's preferences to another", async () => {
    const [one, two] = await Promise.all([signUp(a), signUp(a)]);
    await one.client.preferences.update.mutate({ theme: 'dark' });
    expect((await two.client.preferences.get.query()).theme).toBe('system');
  });
});
