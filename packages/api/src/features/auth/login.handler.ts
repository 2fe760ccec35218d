import { eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { deliverTokens } from './deliver-tokens.ts';
import { reserveLoginAttempt } from './lockout.ts';
import { openLoginChallenge } from './login2fa.handler.ts';
import { twoFactorState } from './two-factor.service.ts';
import type { loginInput, loginOutput } from './login.schema.ts';
import { hashPassword, passwordNeedsRehash, verifyAgainstDummy, verifyPassword } from './password.ts';
import { openSession } from './session.service.ts';
import { toUserDto, userColumns } from './user.dto.ts';

const invalidCredentials = () => new AppError('UNAUTHORIZED', 'invalid_credentials', 'The email or password is incorrect.');

export async function loginHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof loginInput> }): Promise<z.infer<typeof loginOutput>> {
  const attempt = await reserveLoginAttempt(ctx, input.email);
  const [user] = await ctx.db
    .select({ ...userColumns, passwordHash: schema.users.passwordHash, disabledAt: schema.users.disabledAt })
    .from(schema.users)
    .where(eq(sql`lower(${schema.users.email})`, input.email))
    .limit(1);

  if (!user) {
    await verifyAgainstDummy(input.password);
    await attempt.failed();
    throw invalidCredentials();
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    await recordSecurityEvent(ctx, 'login_failed', user.id, { reason: 'wrong_password' });
    const { locked } = await attempt.failed();
    if (locked) await onAccountLocked(ctx, user);
    throw invalidCredentials();
  }
  await attempt.succeeded();
  if (user.disabledAt) {
    await recordSecurityEvent(ctx, 'login_failed', user.id, { reason: 'account_disabled' });
    throw new AppError('FORBIDDEN', 'account_disabled', 'This account is disabled. Contact support.');
  }
  if (passwordNeedsRehash(user.passwordHash)) {
    await ctx.db
      .update(schema.users)
      .set({ passwordHash: await hashPassword(input.password) })
      .where(eq(schema.users.id, user.id));
  }

  if ((await twoFactorState(ctx.db, user.id))?.enabled) return openLoginChallenge(ctx, user.id);
  const tokens = await openSession(ctx, user);
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
