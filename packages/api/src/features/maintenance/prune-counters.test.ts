import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../../../test/helpers/server.ts';
import { pruneCounters } from './prune-counters.job.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

describe('pruneCounters', () => {
  it('deletes expired rate-limit windows and stale, unlocked throttle rows, and keeps the rest', async () => {
    const { sql, db } = server.deps;
    await sql`insert into rate_limits (key, points, expire) values
      ('rl:test:expired', 3, now() - interval '1 second'),
      ('rl:test:live', 3, now() + interval '1 minute')`;
    await sql`insert into auth_throttle (key, count, window_started_at, locked_until) values
      ('test:stale', 4, now() - interval '25 hours', null),
      ('test:stale-lock-over', 6, now() - interval '25 hours', now() - interval '1 minute'),
      ('test:stale-still-locked', 6, now() - interval '25 hours', now() + interval '1 hour'),
      ('test:fresh', 2, now() - interval '1 hour', null)`;
    const pruned = await pruneCounters(db);
    expect(pruned.rateLimits).toBeGreaterThanOrEqual(1);
    expect(pruned.throttles).toBe(2);
    const limits = await sql<{ key: string }[]>`select key from rate_limits where key like 'rl:test:%' order by key`;
    expect(limits.map((row) => row.key)).toEqual(['rl:test:live']);
    const throttles = await sql<{ key: string }[]>`select key from auth_throttle where key like 'test:%' order by key`;
    expect(throttles.map((row) => row.key)).toEqual(['test:fresh', 'test:stale-still-locked']);
  });

  it('runs on one schedule for every instance (pg-boss cron), not a timer per limiter', async () => {
    const rows = await server.deps.sql<{ name: string; cron: string }[]>`select name, cron from pgboss.schedule where name = 'prune-counters'`;
    expect(rows).toEqual([{ name: 'prune-counters', cron: '*/5 * * * *' }]);
  });
});
