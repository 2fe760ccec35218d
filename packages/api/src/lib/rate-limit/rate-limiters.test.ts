import pino from 'pino';
import { Registry } from 'prom-client';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../../test/helpers/database.ts';
import { resolveRateLimitPolicies } from '../../config/rate-limit-policies.ts';
import { enforceRateLimit } from './enforce.ts';
import { createRateLimiters, RateLimitUnavailableError } from './rate-limiters.ts';

let handle: DbHandle;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  handle = createDb({ url: await createTestDatabase(), poolMax: 10, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 5000 });
});

afterAll(async () => {
  await handle.close();
});

const policies = resolveRateLimitPolicies({ overrides: [{ policy: 'health.ping', points: 50, windowSeconds: 60 }], assistantRequestsPerMinute: undefined });
const config = (store: 'postgres' | 'memory') => ({ store, redisUrl: undefined, policies });

/** A store whose every call fails, as a lost database connection does. */
class BrokenStore extends RateLimiterMemory {
  override consume(): never {
    throw new Error('connection lost');
  }
  override get(): never {
    throw new Error('connection lost');
  }
}

describe('the Postgres store', () => {
  it('allows exactly the limit when 200 calls race for 50 points', async () => {
    const limiters = createRateLimiters({ config: config('postgres'), db: handle.db, logger, metrics: new Registry() });
    const decisions = await Promise.all(Array.from({ length: 200 }, () => limiters.consume('health.ping', 'ip:203.0.113.7')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.resetSeconds > 0 && d.resetSeconds <= 60)).toBe(true);
    // Another key has its own budget, and the state is in the shared table (a second instance sees it).
    const other = createRateLimiters({ config: config('postgres'), db: handle.db, logger, metrics: new Registry() });
    expect((await other.consume('health.ping', 'ip:203.0.113.8')).allowed).toBe(true);
    expect((await other.peek('health.ping', 'ip:203.0.113.7')).remaining).toBe(0);
    const [row] = await handle.sql<{ points: number }[]>`select points from rate_limits where key = 'rl:health.ping:ip:203.0.113.7'`;
    expect(row?.points).toBe(200);
  });
});

describe('store failure', () => {
  it('hands over to the in-memory insurance limiter, which keeps the limit, and counts the failures', async () => {
    const metrics = new Registry();
    const limiters = createRateLimiters({ config: config('postgres'), db: handle.db, logger, metrics, storeFactory: (options) => new BrokenStore(options) as RateLimiterAbstract });
    const decisions = await Promise.all(Array.from({ length: 60 }, () => limiters.consume('health.ping', 'k')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    expect(await metrics.getSingleMetricAsString('bastion_rate_limit_store_errors_total')).toMatch(/policy="health.ping"} 60/);
    expect(await metrics.getSingleMetricAsString('bastion_rate_limit_rejections_total')).toMatch(/policy="health.ping"} 10/);
  });

  it('reports the limiter unavailable when the insurance fails too: fail-closed policies refuse, fail-open ones allow', async () => {
    const broken = (options: ConstructorParameters<typeof RateLimiterMemory>[0]) => new BrokenStore(options) as RateLimiterAbstract;
    const rateLimiters = createRateLimiters({ config: config('memory'), db: handle.db, logger, metrics: new Registry(), storeFactory: broken, insuranceFactory: broken });
    await expect(rateLimiters.consume('auth.login', 'k')).rejects.toBeInstanceOf(RateLimitUnavailableError);
    const headers = new Map<string, string>();
    const ctx = { rateLimiters, config: { rateLimit: config('memory') }, log: logger, responseHeaders: { set: (name: string, value: string) => headers.set(name, value) } } as unknown as Parameters<typeof enforceRateLimit>[0];
    await expect(enforceRateLimit(ctx, 'auth.login', 'k')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'rate_limit_unavailable' });
    await expect(enforceRateLimit(ctx, 'health.ping', 'k')).resolves.toMatchObject({ allowed: true });
  });
});
