import { eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { deliverTokens } from './deliver-tokens.ts';
import { isTrustedDevice, rememberDevice } from './device-cookie.ts';
import { reserveLoginAttempt } from './lockout.ts';
import { openLoginChallenge } from './login2fa.handler.ts';
import { twoFactorState } from './two-factor.service.ts';
import type { loginInput, loginOutput } from './login.schema.ts';
import { hashPassword, passwordNeedsRehash, verifyAgainstDummy, verifyPassword } from './password.ts';
import { openSession } from './session.service.ts';
import { toUserDto, userColumns } from './user.dto.ts';

const invalidCredentials = () => new AppError('UNAUTHORIZED', 'invalid_credentials', 'The email or password is incorrect.');

export async function loginHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof loginInput> }): Promise<z.infer<typeof loginOutput>> {
  // Looked up first: whether this browser is a trusted device depends on the account's id.
  const [user] = await ctx.db
    .select({ ...userColumns, passwordHash: schema.users.passwordHash, disabledAt: schema.users.disabledAt })
    .from(schema.users)
    .where(eq(sql`lower(${schema.users.email})`, input.email))
    .limit(1);
  const attempt = await reserveLoginAttempt(ctx, input.email, {
    trustedDevice: user !== undefined && isTrustedDevice(ctx.cookies, ctx.config.auth, user.id),
    // Unknown emails are refused alike, but nobody is told.
    onThrottled: user ? () => onAccountThrottled(ctx, user) : undefined,
  });

  if (!user) {
    await verifyAgainstDummy(input.password);
    await attempt.failed();
    throw invalidCredentials();
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    await recordSecurityEvent(ctx, 'login_failed', user.id, { reason: 'wrong_password' });
    const { locked, throttled } = await attempt.failed();
    if (locked) await onAccountLocked(ctx, user);
    if (throttled) await onAccountThrottled(ctx, user);
    throw invalidCredentials();
  }
  await attempt.succeeded();
  if (user.disabledAt) {
    await recordSecurityEvent(ctx, 'login_failed', user.id, { reason: 'account_disabled' });
    throw new AppError('FORBIDDEN', 'account_disabled', 'This account is disabled. Contact support.');
  }
  if (user.passwordHash && passwordNeedsRehash(user.passwordHash)) {
    await ctx.db
      .update(schema.users)
      .set({ passwordHash: await hashPassword(input.password) })
      .where(eq(schema.users.id, user.id));
  }

  if ((await twoFactorState(ctx.db, user.id))?.enabled) return openLoginChallenge(ctx, user.id);
  const tokens = await openSession(ctx, user);
  rememberDevice(ctx.cookies, ctx.config.auth, user.id);
  await recordSecurityEvent(ctx, 'login_succeeded', user.id);
  return { status: 'authenticated', user: toUserDto(user), ...deliverTokens(ctx, tokens, input.tokenDelivery) };
}

/** The owner learns of the block by email, with the way out (a reset unlocks). */
async function onAccountLocked(ctx: Context, user: { id: string; email: string }) {
  const { durationSeconds } = ctx.config.auth.lockout;
  await recordSecurityEvent(ctx, 'account_locked', user.id, { durationSeconds });
  ctx.log.warn({ userId: user.id }, 'sign-in locked for an account and address after repeated failures');
  await queueMail(ctx.jobs, user.email, {
    template: 'account_locked',
    minutes: Math.ceil(durationSeconds / 60),
    resetLink: `${ctx.config.http.appOrigin}/forgot-password`,
  });
}

/**
 * Once per window, when the account's ceiling is reached: sign-in from new devices is refused, so
 * the owner learns why and how to get in (a known browser, or a password reset, which lifts it).
 */
async function onAccountThrottled(ctx: Context, user: { id: string; email: string }) {
  const { accountFailureCap, accountFailureWindowSeconds } = ctx.config.auth.lockout;
  await recordSecurityEvent(ctx, 'account_throttled', user.id, { failures: accountFailureCap, windowSeconds: accountFailureWindowSeconds });
  ctx.log.warn({ userId: user.id }, 'sign-in from new devices refused for an account after repeated failures from many addresses');
  await queueMail(ctx.jobs, user.email, {
    template: 'account_throttled',
    minutes: Math.ceil(accountFailureWindowSeconds / 60),
    // A plain link: the attacker's guesses must never mint a live reset token.
    resetLink: `${ctx.config.http.appOrigin}/forgot-password`,
  });
}
