import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { schema, type Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { RateLimitPolicy, RateLimitPolicyName } from '../../config/rate-limit-policies.ts';

export interface RateLimitDecision {
  policy: RateLimitPolicyName;
  allowed: boolean;
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until the window resets (and, when refused, until a call may succeed). */
  resetSeconds: number;
}

/** Neither the store nor the insurance limiter could answer. */
export class RateLimitUnavailableError extends Error {}

export interface RateLimiters {
  /** Counts one call of `key` against `policy`. */
  consume(policy: RateLimitPolicyName, key: string): Promise<RateLimitDecision>;
  /** The current state without counting. */
  peek(policy: RateLimitPolicyName, key: string): Promise<RateLimitDecision>;
  /** Resolves once the store is connected (Redis), has failed to, or after `timeoutMs`; the insurance limiter covers the gap. */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface PolicyLimiter {
  policy: RateLimitPolicy;
  store: RateLimiterAbstract;
  /** Per-process stand-in while the store is failing. */
  insurance: RateLimiterAbstract;
}

type StoreFactory = (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;

export interface CreateRateLimitersOptions {
  config: AppConfig['rateLimit'];
  db: Database;
  logger: Logger;
  metrics: Registry;
  /** Tests replace the store and the insurance limiter to make them fail. */
  storeFactory?: StoreFactory;
  insuranceFactory?: StoreFactory;
}

export function createRateLimiters({ config, db, logger, metrics, storeFactory, insuranceFactory = (options) => new RateLimiterMemory(options) }: CreateRateLimitersOptions): RateLimiters {
  const rejections = new Counter({ name: 'bastion_rate_limit_rejections_total', help: 'Calls refused by a rate-limit policy', labelNames: ['policy'] as const, registers: [metrics] });
  const storeErrors = new Counter({ name: 'bastion_rate_limit_store_errors_total', help: 'Rate-limit store failures (the in-memory insurance limiter answered)', labelNames: ['policy'] as const, registers: [metrics] });

  // No offline queue: while Redis is down a call fails at once and the insurance limiter answers.
  const redis = config.store === 'redis' && !storeFactory ? new Redis(config.redisUrl ?? '', { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 }) : undefined;
  redis?.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis connection error'));
  const factory: StoreFactory =
    storeFactory ??
    (redis
      ? (options) => new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true })
      : config.store === 'memory'
        ? (options) => new RateLimiterMemory(options)
        : (options) => new RateLimiterDrizzle({ ...options, storeClient: db, schema: schema.rateLimits }));

  const limiters = new Map<RateLimitPolicyName, PolicyLimiter>();
  for (const [name, policy] of Object.entries(config.policies) as [RateLimitPolicyName, RateLimitPolicy][]) {
    const options = { keyPrefix: `rl:${name}`, points: policy.points, duration: policy.windowSeconds };
    limiters.set(name, { policy, store: factory(options), insurance: insuranceFactory(options) });
  }

  const limiterOf = (name: RateLimitPolicyName) => {
    const limiter = limiters.get(name);
    if (!limiter) throw new Error(`unknown rate-limit policy: ${name}`);
    return limiter;
  };

  const decision = (name: RateLimitPolicyName, policy: RateLimitPolicy, res: RateLimiterRes | null, allowed: boolean): RateLimitDecision => ({
    policy: name,
    allowed,
    limit: policy.points,
    windowSeconds: policy.windowSeconds,
    remaining: res ? res.remainingPoints : policy.points,
    resetSeconds: res && res.msBeforeNext > 0 ? Math.ceil(res.msBeforeNext / 1000) : policy.windowSeconds,
  });

  /** Runs `operation` on the store, falling back to the insurance limiter if the store fails. */
  async function withInsurance<T>(name: RateLimitPolicyName, operation: (limiter: RateLimiterAbstract) => Promise<T>): Promise<T> {
    const { store, insurance } = limiterOf(name);
    try {
      return await operation(store);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw error;
      storeErrors.inc({ policy: name });
      logger.warn({ err: error, policy: name }, 'rate-limit store failed: in-memory insurance limiter answers');
    }
    try {
      return await operation(insurance);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw error;
      throw new RateLimitUnavailableError('rate limiter unavailable', { cause: error });
    }
  }

  return {
    async consume(name, key) {
      const { policy } = limiterOf(name);
      try {
        const res = await withInsurance(name, (limiter) => limiter.consume(key));
        return decision(name, policy, res, true);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        rejections.inc({ policy: name });
        return decision(name, policy, error, false);
      }
    },
    async peek(name, key) {
      const { policy } = limiterOf(name);
      const res = await withInsurance(name, (limiter) => limiter.get(key));
      return decision(name, policy, res, true);
    },
    async ready(timeoutMs = 5_000) {
      if (!redis || redis.status === 'ready') return;
      const client = redis;
      // A failed connection does not hold the start-up: the insurance limiter answers until Redis is back.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          client.off('ready', done).off('error', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs).unref();
        client.once('ready', done).once('error', done);
      });
    },
    async close() {
      await redis?.quit().catch(() => redis?.disconnect());
    },
  };
}
