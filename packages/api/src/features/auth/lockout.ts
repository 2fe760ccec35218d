import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { clientKey } from '../../lib/rate-limit/client-key.ts';
import { countInWindow, tooManyRequests, uncount } from './throttle.ts';

const DAY_SECONDS = 86_400;
/** Failures older than this no longer count as consecutive. */
const FAILURE_MEMORY_SECONDS = DAY_SECONDS;

export const pairKey = (email: string, ip: string | null) => `login:${email}|${clientKey(ip)}`;
/** The daily cap counts a whole IPv6 /56: one customer's addresses share it. */
const ipKey = (ip: string | null) => `login-ip:${clientKey(ip, 'network')}`;
const pairPrefix = (email: string) => `login:${email}|`;

function minutes(seconds: number): string {
  const value = Math.max(1, Math.ceil(seconds / 60));
  return value === 1 ? '1 minute' : `${value} minutes`;
}

export interface LoginAttempt {
  /** The password was right: the pair's failures are forgotten. */
  succeeded(): Promise<void>;
  /** The password was wrong: answers whether this failure locked the pair (first time only). */
  failed(): Promise<{ locked: boolean }>;
}

/**
 * Reserves one evaluation of a password for `email` from `ip`, or refuses it. The reservation is a
 * single atomic increment, so N parallel attempts receive the distinct counts 1..N and only those
 * within the threshold are evaluated: a burst cannot slip extra guesses past the block.
 *
 * The block applies to the account **and** address pair: guesses from elsewhere never lock the
 * owner out. Each address also has a daily cap of failures across all accounts.
 */
export async function reserveLoginAttempt(ctx: Pick<Context, 'db' | 'config' | 'responseHeaders' | 'request'>, email: string): Promise<LoginAttempt> {
  const { threshold, durationSeconds, ipDailyCap } = ctx.config.auth.lockout;
  const ip = ctx.request.ip;
  const perIp = await countInWindow(ctx.db, ipKey(ip), DAY_SECONDS);
  if (perIp.count > ipDailyCap) {
    throw tooManyRequests(
      ctx,
      perIp.retryAfterSeconds,
      'too_many_attempts_from_address',
      `Too many failed sign-ins from your network today. Try again in ${minutes(perIp.retryAfterSeconds)}, or reset your password by email.`,
    );
  }

  const key = pairKey(email, ip);
  const t = schema.authThrottle;
  const lockExpired = sql`${t.lockedUntil} is not null and ${t.lockedUntil} <= now()`;
  const stale = sql`${t.windowStartedAt} <= now() - make_interval(secs => ${FAILURE_MEMORY_SECONDS})`;
  const locked = sql`${t.lockedUntil} > now()`;
  const [pair] = await ctx.db
    .insert(t)
    .values({ key, count: 1 })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        count: sql`case when ${lockExpired} or (${stale} and not coalesce(${locked}, false)) then 1 when ${locked} then ${t.count} else ${t.count} + 1 end`,
        windowStartedAt: sql`case when ${lockExpired} or (${stale} and not coalesce(${locked}, false)) then now() else ${t.windowStartedAt} end`,
        lockedUntil: sql`case when ${lockExpired} then null else ${t.lockedUntil} end`,
      },
    })
    .returning({
      count: t.count,
      lockedFor: sql<number | null>`ceil(extract(epoch from ${t.lockedUntil} - now()))::int`,
    });
  if (!pair) throw new Error('lockout upsert returned nothing');
  const blockedFor = pair.lockedFor !== null && pair.lockedFor > 0 ? pair.lockedFor : pair.count > threshold ? durationSeconds : null;
  if (blockedFor !== null) {
    throw tooManyRequests(
      ctx,
      blockedFor,
      'account_locked',
      `Too many failed sign-in attempts. For your security, signing in to this account from your network is paused for ${minutes(blockedFor)}. ` +
        'To unlock it now, reset your password by email.',
    );
  }

  return {
    async succeeded() {
      await ctx.db.delete(t).where(eq(t.key, key));
      await uncount(ctx.db, ipKey(ip));
    },
    async failed() {
      if (pair.count < threshold) return { locked: false };
      const lockedNow = await ctx.db
        .update(t)
        .set({ lockedUntil: sql`now() + make_interval(secs => ${durationSeconds})` })
        .where(and(eq(t.key, key), or(isNull(t.lockedUntil), lte(t.lockedUntil, sql`now()`))))
        .returning({ key: t.key });
      return { locked: lockedNow.length > 0 };
    },
  };
}

/** Lifts every sign-in block on the account (admin unlock, password reset). */
export async function unlockAccount(ctx: Pick<Context, 'db'>, email: string): Promise<number> {
  const t = schema.authThrottle;
  const removed = await ctx.db
    .delete(t)
    .where(sql`starts_with(${t.key}, ${pairPrefix(email.toLowerCase())})`)
    .returning({ key: t.key });
  return removed.length;
}
