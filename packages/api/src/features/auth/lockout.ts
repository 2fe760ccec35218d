import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import { schema, type Transaction } from '@bastion/db';
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
/** The account ceiling: failures of one account from every address together. */
export const accountKey = (email: string) => `login-account:${email}`;

function minutes(seconds: number): string {
  const value = Math.max(1, Math.ceil(seconds / 60));
  return value === 1 ? '1 minute' : `${value} minutes`;
}

export interface LoginAttempt {
  /** The password was right: the pair's failures are forgotten. */
  succeeded(): Promise<void>;
  /**
   * The password was wrong: answers whether this failure locked the pair (first time only) and
   * whether it brought the account to its ceiling (once per window).
   */
  failed(): Promise<{ locked: boolean; throttled: boolean }>;
}

export interface LoginAttemptOptions {
  /** The browser carries a valid device cookie for this account: the account ceiling does not apply. */
  trustedDevice: boolean;
  /** Called once per window when the ceiling refuses a sign-in (known accounts only: the owner is told). */
  onThrottled?: () => Promise<void>;
}

/**
 * Reserves one evaluation of a password for `email` from `ip`, or refuses it. The reservation is a
 * single atomic increment, so N parallel attempts receive the distinct counts 1..N and only those
 * within the threshold are evaluated: a burst cannot slip extra guesses past the block.
 *
 * The block applies to the account **and** address pair: guesses from elsewhere never lock the
 * owner out. Each address also has a daily cap of failures across all accounts. Above both, each
 * account has a ceiling of failures per window from all addresses together, reserved the same way;
 * past it only trusted devices (device cookie) may still try, so guessing from many addresses stops
 * at the ceiling while the owner's known browsers keep signing in.
 */
export async function reserveLoginAttempt(
  ctx: Pick<Context, 'db' | 'config' | 'responseHeaders' | 'request'>,
  email: string,
  options: LoginAttemptOptions,
): Promise<LoginAttempt> {
  const { threshold, durationSeconds, ipDailyCap, accountFailureCap, accountFailureWindowSeconds } = ctx.config.auth.lockout;
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

  // Untrusted attempts only; refused before the password is looked at, so a refusal costs no hashing.
  const ceiling = options.trustedDevice ? null : await countInWindow(ctx.db, accountKey(email), accountFailureWindowSeconds);
  if (ceiling && ceiling.count > accountFailureCap) {
    // Claimed for unknown emails too (same work either way); only a real owner is told.
    if ((await claimThrottleNotice(ctx, email)) && options.onThrottled) await options.onThrottled();
    throw tooManyRequests(
      ctx,
      ceiling.retryAfterSeconds,
      'account_throttled',
      `Too many failed sign-in attempts on this account. For your security, signing in from a new device is paused for ${minutes(ceiling.retryAfterSeconds)}. ` +
        'A device you have signed in with before still works, or reset your password by email.',
    );
  }
  /** An attempt refused later was never evaluated: it gives its place under the ceiling back. */
  const releaseCeiling = async () => {
    if (ceiling) await uncount(ctx.db, accountKey(email));
  };

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
    await releaseCeiling();
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
      await releaseCeiling();
    },
    async failed() {
      const throttled = ceiling !== null && ceiling.count >= accountFailureCap && (await claimThrottleNotice(ctx, email));
      if (pair.count < threshold) return { locked: false, throttled };
      const lockedNow = await ctx.db
        .update(t)
        .set({ lockedUntil: sql`now() + make_interval(secs => ${durationSeconds})` })
        .where(and(eq(t.key, key), or(isNull(t.lockedUntil), lte(t.lockedUntil, sql`now()`))))
        .returning({ key: t.key });
      return { locked: lockedNow.length > 0, throttled };
    },
  };
}

/**
 * Marks the ceiling's notice as sent for the current window; true for exactly one caller per window.
 * `locked_until` of the ceiling row holds the end of the window the owner was told about: a later
 * window starts after it, so the condition holds again once per window. One row update, atomic.
 */
async function claimThrottleNotice(ctx: Pick<Context, 'db' | 'config'>, email: string): Promise<boolean> {
  const t = schema.authThrottle;
  const windowEnd = sql`${t.windowStartedAt} + make_interval(secs => ${ctx.config.auth.lockout.accountFailureWindowSeconds})`;
  const claimed = await ctx.db
    .update(t)
    .set({ lockedUntil: windowEnd })
    .where(and(eq(t.key, accountKey(email)), or(isNull(t.lockedUntil), lte(t.lockedUntil, t.windowStartedAt))))
    .returning({ key: t.key });
  return claimed.length > 0;
}

/** Lifts every sign-in block on the account (admin unlock, password reset), the ceiling included. */
export async function unlockAccount(ctx: { db: Context['db'] | Transaction }, email: string): Promise<number> {
  const t = schema.authThrottle;
  const normalized = email.toLowerCase();
  await ctx.db.delete(t).where(eq(t.key, accountKey(normalized)));
  const removed = await ctx.db
    .delete(t)
    .where(sql`starts_with(${t.key}, ${pairPrefix(normalized)})`)
    .returning({ key: t.key });
  return removed.length;
}
