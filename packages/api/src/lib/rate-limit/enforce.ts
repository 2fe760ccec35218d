import type { Context } from '../../context.ts';
import type { RateLimitPolicyName } from '../../config/rate-limit-policies.ts';
import { AppError } from '../../errors/app-error.ts';
import { RateLimitUnavailableError, type RateLimitCharge, type RateLimitDecision } from './rate-limiters.ts';

type RateLimitContext = Pick<Context, 'rateLimiters' | 'responseHeaders' | 'config' | 'log'>;

/** Per policy: its quoted name and its `RateLimit-Policy` value, which only change with the configuration. */
const policyFields = new Map<string, { limit: number; windowSeconds: number; quoted: string; policy: string }>();

function fieldsOf(decision: RateLimitDecision) {
  let fields = policyFields.get(decision.policy);
  if (!fields || fields.limit !== decision.limit || fields.windowSeconds !== decision.windowSeconds) {
    const quoted = JSON.stringify(decision.policy);
    fields = { limit: decision.limit, windowSeconds: decision.windowSeconds, quoted, policy: `${quoted};q=${decision.limit};w=${decision.windowSeconds}` };
    policyFields.set(decision.policy, fields);
  }
  return fields;
}

/** The IETF draft (draft-ietf-httpapi-ratelimit-headers) structured fields for one decision. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {};
  setRateLimitHeaders({ set: (name, value) => (headers[name] = value) }, decision);
  return headers;
}

/** Sets those fields on a response: on every counted call, so without building them anew. */
function setRateLimitHeaders(target: RateLimitContext['responseHeaders'], decision: RateLimitDecision): void {
  const fields = fieldsOf(decision);
  target.set('RateLimit-Policy', fields.policy);
  target.set('RateLimit', `${fields.quoted};r=${decision.remaining};t=${decision.resetSeconds}`);
  if (!decision.allowed) target.set('Retry-After', String(decision.resetSeconds));
}

/**
 * Counts the call against every charge (one store round trip), sets the rate-limit headers of the
 * decision that matters (the refusal, else the last charge: the procedure's own policy), and
 * refuses with TOO_MANY_REQUESTS (`rate_limited`) once a policy's budget is spent.
 */
export async function enforceRateLimits(ctx: RateLimitContext, charges: readonly RateLimitCharge[]): Promise<void> {
  let decisions: RateLimitDecision[];
  try {
    decisions = await ctx.rateLimiters.consume(charges);
  } catch (error) {
    if (!(error instanceof RateLimitUnavailableError)) throw error;
    const policies = charges.map((charge) => charge.policy);
    ctx.log.error({ err: error.cause, policies }, 'rate limiter unavailable');
    if (policies.some((policy) => ctx.config.rateLimit.policies[policy].failClosed)) {
      throw new AppError('SERVICE_UNAVAILABLE', 'rate_limit_unavailable', 'This action is temporarily unavailable. Try again shortly.');
    }
    return;
  }
  const refused = decisions.find((decision) => !decision.allowed);
  const shown = refused ?? decisions[decisions.length - 1];
  if (shown) setRateLimitHeaders(ctx.responseHeaders, shown);
  if (refused) throw refusalError(ctx.config, refused);
}

/** The error a refusal answers: TOO_MANY_REQUESTS (`rate_limited`) with the seconds until a retry can succeed. */
export function refusalError(config: Pick<RateLimitContext['config'], 'rateLimit'>, refused: RateLimitDecision): AppError {
  const message = config.rateLimit.policies[refused.policy].message ?? `Too many requests. Try again in ${refused.resetSeconds} seconds.`;
  return new AppError('TOO_MANY_REQUESTS', 'rate_limited', message, { retryAfterSeconds: refused.resetSeconds });
}

/** One policy for one key: the form handlers use for the limits they count themselves. */
export function enforceRateLimit(ctx: RateLimitContext, policy: RateLimitPolicyName, key: string): Promise<void> {
  return enforceRateLimits(ctx, [{ policy, key }]);
}
