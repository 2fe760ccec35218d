import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { deliverTokens } from './deliver-tokens.ts';
import { rememberDevice } from './device-cookie.ts';
import type { loginOutput } from './login.schema.ts';
import { openSession } from './session.service.ts';
import { enforceRateLimit } from '../../lib/rate-limit/enforce.ts';
import type { login2faInput } from './two-factor.schema.ts';
import { acceptSecondFactor } from './two-factor.service.ts';
import { toUserDto, userColumns } from './user.dto.ts';

const CHALLENGE_TTL_SECONDS = 5 * 60;
const CHALLENGE_TRIES = 5;

const expired = () => new AppError('UNAUTHORIZED', 'invalid_challenge', 'This sign-in has expired or had too many wrong codes. Sign in again.');

/** After the password: the answer `auth.login` gives instead of tokens when 2FA is on. */
export async function openLoginChallenge(ctx: Context, userId: string): Promise<{ status: 'two_factor_required'; challengeId: string }> {
  const [challenge] = await ctx.db
    .insert(schema.loginChallenges)
    .values({ userId, expiresAt: sql`now() + make_interval(secs => ${CHALLENGE_TTL_SECONDS})` })
    .returning({ id: schema.loginChallenges.id });
  if (!challenge) throw new Error('challenge insert returned nothing');
  return { status: 'two_factor_required', challengeId: challenge.id };
}

/** Step two of a sign-in with 2FA; answers exactly as a successful `auth.login`. */
export async function login2faHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof login2faInput> }): Promise<z.infer<typeof loginOutput>> {
  const c = schema.loginChallenges;
  // Each try is counted before the code is checked, atomically: parallel guesses cannot exceed 5.
  const [challenge] = await ctx.db
    .update(c)
    .set({ attempts: sql`${c.attempts} + 1` })
    .where(and(eq(c.id, input.challengeId), isNull(c.consumedAt), gt(c.expiresAt, sql`now()`), lt(c.attempts, CHALLENGE_TRIES)))
    .returning({ userId: c.userId });
  if (!challenge) throw expired();
  await enforceRateLimit(ctx, 'auth.secondFactorCodes', `user:${challenge.userId}`);

  const method = await acceptSecondFactor(ctx, challenge.userId, input.code);
  if (!method) {
    await recordSecurityEvent(ctx, 'two_factor_failed', challenge.userId);
    throw new AppError('UNAUTHORIZED', 'invalid_two_factor_code', 'The code is incorrect or was already used.');
  }
  const consumed = await ctx.db
    .update(c)
    .set({ consumedAt: sql`now()` })
    .where(and(eq(c.id, input.challengeId), isNull(c.consumedAt)))
    .returning({ id: c.id });
  if (consumed.length === 0) throw expired();

  const [user] = await ctx.db
    .select({ ...userColumns, disabledAt: schema.users.disabledAt })
    .from(schema.users)
    .where(eq(schema.users.id, challenge.userId))
    .limit(1);
  if (!user || user.disabledAt) throw new AppError('FORBIDDEN', 'account_disabled', 'This account is disabled. Contact support.');
  if (method === 'recovery_code') await recordSecurityEvent(ctx, 'recovery_code_used', user.id);
  const tokens = await openSession(ctx, user);
  // Only a complete sign-in (password and second factor) makes this browser a trusted device.
  rememberDevice(ctx.cookies, ctx.config.auth, user.id);
  await recordSecurityEvent(ctx, 'login_succeeded', user.id, { secondFactor: method });
  return { status: 'authenticated', user: toUserDto(user), ...deliverTokens(ctx, tokens, input.tokenDelivery) };
}
