import { Redis } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { freePort, startServerProcess } from '../../../test/helpers/processes.ts';
import { burstPings } from '../../../test/helpers/rate-limit.ts';
import { TEST_ENV } from '../../../test/helpers/server.ts';

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
  const ports = await Promise.all([freePort(), freePort()]);
  const env = { ...TEST_ENV, REDIS_URL, RATE_LIMITS: '*=100000/60,health.ping=50/60', DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' };
  const processes = ports.map((port) => startServerProcess({ ...env, PORT: String(port) }));
  try {
    await Promise.all(processes.map((p) => p.listening));
    expect(await burstPings(ports.map((port) => `http://127.0.0.1:${port}`), 200)).toEqual({ ok: 50, limited: 150, other: 0 });
    // The counter is in Redis, not in either process.
    const redis = new Redis(REDIS_URL);
    expect(await redis.keys('rl:health.ping:*')).toHaveLength(1);
    await redis.quit();
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
});
