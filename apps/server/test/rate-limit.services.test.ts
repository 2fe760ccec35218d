import { Redis } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { startServerProcess } from '../../../test/helpers/process.ts';
import { burstPings } from '../../../test/helpers/rate-limit.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

beforeAll(async () => {
  // The limiter's keys carry the policy name: clear this policy's from earlier runs.
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys('rl:health.ping:*');
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

it('allows exactly 50 of 200 concurrent requests on the Redis store, split across two server processes', async () => {
  const databaseUrl = await createTestDatabase();
  const env = { REDIS_URL, RATE_LIMITS: '*=100000/60,health.ping=50/60', DATABASE_URL: databaseUrl };
  const processes = await Promise.all([1, 2].map(() => startServerProcess(env)));
  try {
    expect(await burstPings(processes.map((p) => p.url), 200)).toEqual({ ok: 50, limited: 150, other: 0 });
    // The counter is in Redis, not in either process.
    const redis = new Redis(REDIS_URL);
    expect(await redis.keys('rl:health.ping:*')).toHaveLength(1);
    await redis.quit();
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
});
