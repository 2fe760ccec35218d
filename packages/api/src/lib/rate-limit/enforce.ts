import type { Context } from '../../context.ts';
import type { RateLimitPolicyName } from '../../config/rate-limit-policies.ts';
import { AppError } from '../../errors/app-error.ts';
import { RateLimitUnavailableError, type RateLimitDecision } from './rate-limiters.ts';

type RateLimitContext = Pick<Context, 'rateLimiters' | 'responseHeaders' | 'config' | 'log'>;

/** The IETF draft (draft-ietf-httpapi-ratelimit-headers) structured fields for one decision. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const name = JSON.stringify(decision.policy);
  const headers: Record<string, string> = {
    'RateLimit-Policy': `${name};q=${decision.limit};w=${decision.windowSeconds}`,
    RateLimit: `${name};r=${decision.remaining};t=${decision.resetSeconds}`,
  };
  if (!decision.allowed) headers['Retry-After'] = String(decision.resetSeconds);
  return headers;
}

/**
 * Counts the call against `policy` for `key`, sets the rate-limit headers, and refuses with
 * TOO_MANY_REQUESTS (`rate_limited`) once the policy's budget is spent.
 */
export async function enforceRateLimit(ctx: RateLimitContext, policy: RateLimitPolicyName, key: string): Promise<RateLimitDecision> {
  let decision: RateLimitDecision;
  try {
    decision = await ctx.rateLimiters.consume(policy, key);
  } catch (error) {
    if (!(error instanceof RateLimitUnavailableError)) throw error;
    ctx.log.error({ err: error.cause, policy }, 'rate limiter unavailable');
    if (ctx.config.rateLimit.policies[policy].failClosed) {
      throw new AppError('SERVICE_UNAVAILABLE', 'rate_limit_unavailable', 'This action is temporarily unavailable. Try again shortly.');
    }
    return { policy, allowed: true, limit: 0, windowSeconds: 0, remaining: 0, resetSeconds: 0 };
  }
  for (const [name, value] of Object.entries(rateLimitHeaders(decision))) ctx.responseHeaders.set(name, value);
  if (!decision.allowed) {
    throw new AppError('TOO_MANY_REQUESTS', 'rate_limited', `Too many requests. Try again in ${decision.resetSeconds} seconds.`);
  }
  return decision;
}
