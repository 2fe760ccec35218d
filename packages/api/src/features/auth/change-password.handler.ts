import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { sessionIdOf, type AuthState } from './guards.ts';
import { hashPassword, passwordResemblesEmail, verifyPassword } from './password.ts';
import type { changePasswordInput, changePasswordOutput } from './password-reset.schema.ts';
import { revokeUserSessions } from './session.service.ts';
import { announceRevokedSessions } from './session-revocation.ts';
import { enforceRateLimit } from '../../lib/rate-limit/enforce.ts';


const fieldError = (field: string, reason: string, message: string) => new AppError('BAD_REQUEST', reason, message, { fieldErrors: { [field]: [message] } });

/** Changes the password with the current one; every other session ends, this one stays. */
export async function changePasswordHandler({
  ctx,
  input,
}: {
  ctx: Context & { auth: AuthState };
  input: z.infer<typeof changePasswordInput>;
}): Promise<z.infer<typeof changePasswordOutput>> {
  await enforceRateLimit(ctx, 'auth.changePassword', `user:${ctx.auth.userId}`);
  const { users } = schema;
  const [user] = await ctx.db
    .select({ id: users.id, email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, ctx.auth.userId))
    .limit(1);
  if (!user) throw new AppError('UNAUTHORIZED', 'unauthenticated', 'Sign in to continue.');
  if (user.passwordHash === null) throw new AppError('FORBIDDEN', 'no_password', 'This account has no password yet: set one instead.');
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw fieldError('currentPassword', 'invalid_current_password', 'The current password is incorrect.');
  }
  if (passwordResemblesEmail(input.newPassword, user.email)) throw fieldError('newPassword', 'validation_failed', 'The password must not be your email address.');
  if (input.newPassword === input.currentPassword) throw fieldError('newPassword', 'validation_failed', 'Choose a password different from the current one.');

  const passwordHash = await hashPassword(input.newPassword);
  const revoked = await withTransaction(ctx.db, async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
    return revokeUserSessions(tx, user.id, 'password_changed', { exceptSessionId: sessionIdOf(ctx.auth) });
  });
  await announceRevokedSessions(ctx, revoked);
  await recordSecurityEvent(ctx, 'password_changed', user.id, { revokedSessions: revoked.length });
  await queueMail(ctx.jobs, user.email, { template: 'password_changed' });
  return { success: true, revokedSessions: revoked.length };
}
