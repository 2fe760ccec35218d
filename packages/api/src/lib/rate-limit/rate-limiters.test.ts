import pino from 'pino';
import { Registry } from 'prom-client';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle, type Sql } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { resolveRateLimitPolicies } from '../../config/rate-limit-policies.ts';
import { enforceRateLimit } from './enforce.ts';
import type { CounterStore } from './postgres-counter-store.ts';
import { createRateLimiters, RateLimitUnavailableError } from './rate-limiters.ts';

let handle: DbHandle;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  handle = createDb({ url: await createTestDatabase(), poolMax: 4, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 5000 });
});

afterAll(async () => {
  await handle.close();
});

const policies = resolveRateLimitPolicies({
  overrides: [
    { policy: 'health.ping', points: 50, windowSeconds: 60 },
    { policy: 'global', points: 1000, windowSeconds: 60 },
  ],
  assistantRequestsPerMinute: undefined,
});
const config = (store: 'postgres' | 'memory') => ({ store, redisUrl: undefined, poolMax: 4, policies });

/** The same pool, counting the statements sent through it. */
function countingSql(sql: Sql): { sql: Sql; statements: () => number } {
  let statements = 0;
  const proxy = new Proxy(sql, {
    apply(target, thisArg, args: unknown[]) {
      // Tagged-template calls are statements; `sql.array(…)` helpers are not calls of `sql` itself.
      if (Array.isArray(args[0]) && 'raw' in (args[0] as object)) statements++;
      return Reflect.apply(target, thisArg, args);
    },
  });
  return { sql: proxy, statements: () => statements };
}

/** A store whose every call fails, as a lost database connection does. */
const brokenStore: CounterStore = {
  increment: () => Promise.reject(new Error('connection lost')),
  get: () => Promise.reject(new Error('connection lost')),
};

class BrokenLimiter extends RateLimiterMemory {
  override penalty(): never {
    throw new Error('memory gone');
  }
  override get(): never {
    throw new Error('memory gone');
  }
}

const ping = (key: string) => [{ policy: 'health.ping' as const, key }];

describe('the Postgres store', () => {
  it('allows exactly the limit when 200 calls race for 50 points, and a second instance shares the count', async () => {
    const metrics = new Registry();
    const limiters = createRateLimiters({ config: config('postgres'), sql: handle.sql, logger, metrics });
    const decisions = (await Promise.all(Array.from({ length: 200 }, () => limiters.consume(ping('ip:203.0.113.7'))))).flat();
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    // The store answered every call: the insurance limiter never stood in.
    expect(await metrics.getSingleMetricAsString('bastion_rate_limit_store_errors_total')).not.toMatch(/policy=/);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.resetSeconds > 0 && d.resetSeconds <= 60)).toBe(true);
    const other = createRateLimiters({ config: config('postgres'), sql: handle.sql, logger, metrics: new Registry() });
    expect((await other.consume(ping('ip:203.0.113.8')))[0]?.allowed).toBe(true);
    expect((await other.peek('health.ping', 'ip:203.0.113.7')).remaining).toBe(0);
    expect((await other.consume(ping('ip:203.0.113.7')))[0]?.allowed).toBe(false);
  });

  it('counts every charge of a call in one statement, and answers each in order', async () => {
    const counting = countingSql(handle.sql);
    const limiters = createRateLimiters({ config: config('postgres'), sql: counting.sql, logger, metrics: new Registry() });
    const decisions = await limiters.consume([
      { policy: 'global', key: 'ip:198.51.100.1' },
      { policy: 'health.ping', key: 'ip:198.51.100.1' },
    ]);
    expect(counting.statements()).toBe(1);
    expect(decisions.map((d) => [d.policy, d.remaining])).toEqual([
      ['global', 999],
      ['health.ping', 49],
    ]);
    const rows = await handle.sql<{ key: string; points: number }[]>`select key, points from rate_limits where key like 'rl:%:ip:198.51.100.1' order by key`;
    expect(rows).toEqual([
      { key: 'rl:global:ip:198.51.100.1', points: 1 },
      { key: 'rl:health.ping:ip:198.51.100.1', points: 1 },
    ]);
  });

  it('coalesces the charges of calls made together into one statement, each still counted exactly', async () => {
    const counting = countingSql(handle.sql);
    const limiters = createRateLimiters({ config: config('postgres'), sql: counting.sql, logger, metrics: new Registry() });
    const calls = Array.from({ length: 100 }, (_, i) => limiters.consume([
      { policy: 'global', key: 'ip:192.0.2.1' },
      { policy: 'health.ping', key: `ip:192.0.2.${i % 4}` },
    ]));
    const decisions = await Promise.all(calls);
    expect(counting.statements()).toBe(1);
    // 100 charges of one global key: every count from 1 to 100 handed out once.
    expect(decisions.map(([global]) => 1000 - global!.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // 25 charges on each of four ping keys: 25 of 50 used on each.
    for (let k = 0; k < 4; k++) expect((await limiters.peek('health.ping', `ip:192.0.2.${k}`)).remaining).toBe(25);
  });

  it('does not deadlock when concurrent calls charge the same keys in opposite orders', async () => {
    const limiters = createRateLimiters({ config: config('postgres'), sql: handle.sql, logger, metrics: new Registry() });
    const a = { policy: 'global' as const, key: 'ip:198.51.100.9' };
    const b = { policy: 'health.ping' as const, key: 'ip:198.51.100.9' };
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters.consume(i % 2 ? [a, b] : [b, a])));
    expect(results.flat().filter((d) => d.policy === 'health.ping' && d.allowed)).toHaveLength(50);
  });

  it('refuses a key already over its limit from memory, without a statement', async () => {
    const counting = countingSql(handle.sql);
    const limiters = createRateLimiters({ config: config('postgres'), sql: counting.sql, logger, metrics: new Registry() });
    for (let i = 0; i < 51; i++) await limiters.consume(ping('ip:198.51.100.50'));
    const before = counting.statements();
    const refused = await limiters.consume(ping('ip:198.51.100.50'));
    expect(refused[0]).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused[0]!.resetSeconds).toBeGreaterThan(0);
    expect(counting.statements()).toBe(before);
    // Other keys still reach the store.
    expect((await limiters.consume(ping('ip:198.51.100.51')))[0]?.allowed).toBe(true);
    expect(counting.statements()).toBe(before + 1);
  });

  it('starts a new window once the old one has ended', async () => {
    const limiters = createRateLimiters({ config: config('postgres'), sql: handle.sql, logger, metrics: new Registry() });
    for (let i = 0; i < 3; i++) await limiters.consume(ping('ip:198.51.100.60'));
    await handle.sql`update rate_limits set expire = now() - interval '1 second' where key = 'rl:health.ping:ip:198.51.100.60'`;
    expect((await limiters.consume(ping('ip:198.51.100.60')))[0]).toMatchObject({ allowed: true, remaining: 49 });
  });

  it('keeps the counters in an unlogged table: no WAL is written for them', async () => {
    const [table] = await handle.sql<{ persistence: string }[]>`select relpersistence as persistence from pg_class where relname = 'rate_limits'`;
    expect(table?.persistence).toBe('u');
  });
});

describe('store failure', () => {
  it('hands over to the in-memory insurance limiter, which keeps the limit, and counts the failures', async () => {
    const metrics = new Registry();
    const limiters = createRateLimiters({ config: config('postgres'), logger, metrics, store: brokenStore });
    const decisions = (await Promise.all(Array.from({ length: 60 }, () => limiters.consume(ping('k'))))).flat();
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    expect(await metrics.getSingleMetricAsString('bastion_rate_limit_store_errors_total')).toMatch(/policy="health.ping"} 60/);
    expect(await metrics.getSingleMetricAsString('bastion_rate_limit_rejections_total')).toMatch(/policy="health.ping"} 10/);
  });

  it('reports the limiter unavailable when the insurance fails too: fail-closed policies refuse, fail-open ones allow', async () => {
    const broken = (options: ConstructorParameters<typeof RateLimiterMemory>[0]) => new BrokenLimiter(options) as RateLimiterAbstract;
    const rateLimiters = createRateLimiters({ config: config('memory'), logger, metrics: new Registry(), store: brokenStore, insuranceFactory: broken });
    await expect(rateLimiters.consume([{ policy: 'auth.login', key: 'k' }])).rejects.toBeInstanceOf(RateLimitUnavailableError);
    const headers = new Map<string, string>();
    const ctx = { rateLimiters, config: { rateLimit: config('memory') }, log: logger, responseHeaders: { set: (name: string, value: string) => headers.set(name, value) } } as unknown as Parameters<typeof enforceRateLimit>[0];
    await expect(enforceRateLimit(ctx, 'auth.login', 'k')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'rate_limit_unavailable' });
    await expect(enforceRateLimit(ctx, 'health.ping', 'k')).resolves.toBeUndefined();
  });
});

describe('the memory store', () => {
  it('keeps the same limit through rate-limiter-flexible', async () => {
    const limiters = createRateLimiters({ config: config('memory'), logger, metrics: new Registry() });
    const decisions = (await Promise.all(Array.from({ length: 80 }, () => limiters.consume(ping('m'))))).flat();
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    expect((await limiters.peek('health.ping', 'm')).remaining).toBe(0);
  });
});
