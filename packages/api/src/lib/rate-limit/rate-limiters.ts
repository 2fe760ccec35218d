import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Sql } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { RateLimitPolicy, RateLimitPolicyName } from '../../config/rate-limit-policies.ts';
import { counterKey, postgresCounterStore, type CounterStore } from './postgres-counter-store.ts';

export interface RateLimitDecision {
  policy: RateLimitPolicyName;
  allowed: boolean;
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until the window resets (and, when refused, until a call may succeed). */
  resetSeconds: number;
}

/** One policy counted for one key. */
export interface RateLimitCharge {
  policy: RateLimitPolicyName;
  key: string;
}

/** Neither the store nor the in-memory insurance limiter could answer. */
export class RateLimitUnavailableError extends Error {}

export interface RateLimiters {
  /**
   * Counts one call against every charge, in one store round trip where the store allows (one
   * statement on Postgres), and answers a decision per charge in order.
   */
  consume(charges: readonly RateLimitCharge[]): Promise<RateLimitDecision[]>;
  /** The current state without counting. */
  peek(policy: RateLimitPolicyName, key: string): Promise<RateLimitDecision>;
  /**
   * The refusal `consume` would answer from memory for a charge already over its limit (no store
   * call, nothing counted), or null: what the API checks before it parses a call (ADR 020).
   */
  refusedFromMemory(charges: readonly RateLimitCharge[]): RateLimitDecision | null;
  /** Resolves once the store is connected (Redis), has failed to, or after `timeoutMs`; the insurance limiter covers the gap. */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

type LimiterOptions = { keyPrefix: string; points: number; duration: number };
type LimiterFactory = (options: LimiterOptions) => RateLimiterAbstract;

export interface CreateRateLimitersOptions {
  config: AppConfig['rateLimit'];
  /** The counters' own connection pool (Postgres store). */
  sql?: Sql;
  logger: Logger;
  metrics: Registry;
  /** Tests replace the store and the insurance limiter to make them fail. */
  store?: CounterStore;
  insuranceFactory?: LimiterFactory;
}

/** Keys already refused stay refused in memory until their window ends: refusals cost no store call. */
const MAX_BLOCKED_KEYS = 10_000;

/**
 * A store made of rate-limiter-flexible limiters, one per policy (memory, Redis). `penalty` adds a
 * point without refusing, so every store answers the same thing: points used and time to reset.
 */
function limiterStore(policies: AppConfig['rateLimit']['policies'], factory: LimiterFactory): CounterStore & { limiters: Map<string, RateLimiterAbstract> } {
  const limiters = new Map<string, RateLimiterAbstract>();
  for (const [name, policy] of Object.entries(policies)) {
    limiters.set(name, factory({ keyPrefix: `rl:${name}`, points: policy.points, duration: policy.windowSeconds }));
  }
  const limiterOf = (policy: string) => {
    const limiter = limiters.get(policy);
    if (!limiter) throw new Error(`unknown rate-limit policy: ${policy}`);
    return limiter;
  };
  return {
    limiters,
    async increment(entries) {
      const answers = await Promise.all(entries.map(({ policy, key }) => limiterOf(policy).penalty(key, 1)));
      return answers.map((res) => ({ points: res.consumedPoints, msBeforeReset: res.msBeforeNext }));
    },
    async get(policy, key) {
      const res = await limiterOf(policy).get(key);
      return res ? { points: res.consumedPoints, msBeforeReset: res.msBeforeNext } : null;
    },
  };
}

export function createRateLimiters({ config, sql, logger, metrics, store: storeOverride, insuranceFactory = (options) => new RateLimiterMemory(options) }: CreateRateLimitersOptions): RateLimiters {
  const rejections = new Counter({ name: 'bastion_rate_limit_rejections_total', help: 'Calls refused by a rate-limit policy', labelNames: ['policy'] as const, registers: [metrics] });
  const storeErrors = new Counter({ name: 'bastion_rate_limit_store_errors_total', help: 'Rate-limit store failures (the in-memory insurance limiter answered)', labelNames: ['policy'] as const, registers: [metrics] });
  const policies = config.policies;

  const policyOf = (name: RateLimitPolicyName): RateLimitPolicy => {
    const policy = policies[name];
    if (!policy) throw new Error(`unknown rate-limit policy: ${name}`);
    return policy;
  };

  // No offline queue: while Redis is down a call fails at once and the insurance limiter answers.
  const redis = config.store === 'redis' && !storeOverride ? new Redis(config.redisUrl ?? '', { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 }) : undefined;
  redis?.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis connection error'));

  let store: CounterStore;
  if (storeOverride) store = storeOverride;
  else if (redis) store = limiterStore(policies, (options) => new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true }));
  else if (config.store === 'memory') store = limiterStore(policies, (options) => new RateLimiterMemory(options));
  else if (sql) store = postgresCounterStore(sql, (name) => policyOf(name as RateLimitPolicyName).windowSeconds);
  else throw new Error('the Postgres rate-limit store needs a connection pool');
  const insurance = limiterStore(policies, insuranceFactory);

  const blocked = new Map<string, number>();
  const blockedUntil = (id: string, now: number): number | undefined => {
    const until = blocked.get(id);
    if (until === undefined) return undefined;
    if (until > now) return until;
    blocked.delete(id);
    return undefined;
  };
  const block = (id: string, until: number) => {
    if (blocked.size >= MAX_BLOCKED_KEYS) blocked.delete(blocked.keys().next().value!);
    blocked.set(id, until);
  };

  const decide = (name: RateLimitPolicyName, points: number, msBeforeReset: number): RateLimitDecision => {
    const policy = policyOf(name);
    return {
      policy: name,
      allowed: points <= policy.points,
      limit: policy.points,
      windowSeconds: policy.windowSeconds,
      remaining: Math.max(0, policy.points - points),
      resetSeconds: msBeforeReset > 0 ? Math.ceil(msBeforeReset / 1000) : policy.windowSeconds,
    };
  };

  /** Runs `operation` on the store, falling back to the insurance limiter if the store fails. */
  async function withInsurance<T>(names: RateLimitPolicyName[], operation: (counters: CounterStore) => Promise<T>): Promise<T> {
    try {
      return await operation(store);
    } catch (error) {
      for (const name of names) storeErrors.inc({ policy: name });
      logger.warn({ err: error, policies: names }, 'rate-limit store failed: in-memory insurance limiter answers');
    }
    try {
      return await operation(insurance);
    } catch (error) {
      throw new RateLimitUnavailableError('rate limiter unavailable', { cause: error });
    }
  }

  /** The first charge already refused in memory, with its decision (the rejection counted). */
  const blockedCharge = (charges: readonly RateLimitCharge[]): { charge: RateLimitCharge; decision: RateLimitDecision } | null => {
    const now = Date.now();
    for (const charge of charges) {
      const until = blockedUntil(counterKey(charge.policy, charge.key), now);
      if (until !== undefined) {
        rejections.inc({ policy: charge.policy });
        return { charge, decision: decide(charge.policy, Number.POSITIVE_INFINITY, until - now) };
      }
    }
    return null;
  };

  return {
    refusedFromMemory: (charges) => blockedCharge(charges)?.decision ?? null,
    async consume(charges) {
      const blockedNow = blockedCharge(charges);
      if (blockedNow) {
        const { charge: refused, decision } = blockedNow;
        return charges.map((charge) => (charge.policy === refused.policy && charge.key === refused.key ? decision : decide(charge.policy, 0, 0)));
      }
      for (const { policy } of charges) policyOf(policy);
      const names = charges.map((charge) => charge.policy);
      const counts = await withInsurance(names, (counters) => counters.increment(charges));
      return charges.map(({ policy, key }, i) => {
        const count = counts[i]!;
        const decision = decide(policy, count.points, count.msBeforeReset);
        if (!decision.allowed) {
          rejections.inc({ policy });
          block(counterKey(policy, key), Date.now() + decision.resetSeconds * 1000);
        }
        return decision;
      });
    },
    async peek(name, key) {
      const count = await withInsurance([name], (counters) => counters.get(name, key));
      return { ...decide(name, count?.points ?? 0, count?.msBeforeReset ?? 0), allowed: true };
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
