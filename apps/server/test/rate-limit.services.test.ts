import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { burstPings } from '../../../test/helpers/rate-limit.ts';
import { startTestServer, type TestServer } from '../../../test/helpers/server.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let servers: TestServer[];

beforeAll(async () => {
  // A fresh key space per run: the limiter's keys carry the policy name, so clear this policy's.
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys('rl:health.ping:*');
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  const env = { REDIS_URL, RATE_LIMITS: '*=100000/60,health.ping=50/60' };
  servers = await Promise.all([startTestServer(env), startTestServer(env)]);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

it('uses Redis when REDIS_URL is set and allows exactly 50 of 200 concurrent requests across two instances', async () => {
  expect(servers[0]?.deps.config.rateLimit.store).toBe('redis');
  expect(await burstPings(servers.map((server) => server.url), 200)).toEqual({ ok: 50, limited: 150, other: 0 });
});
