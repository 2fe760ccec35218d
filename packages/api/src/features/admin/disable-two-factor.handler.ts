import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AuthState } from '../auth/guards.ts';
import { revokeUserSessions } from '../auth/session.service.ts';
import { announceRevokedSessions } from '../auth/session-revocation.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import type { disableTwoFactorOutput, userIdInput } from './users.schema.ts';

/**
 * The recovery path for a user who lost both the authenticator and the recovery codes (runbook in
 * docs/operations.md), after the admin has checked who is asking. Turns 2FA off, ends every session
 * of the user (2FA lost to a thief's authenticator means the thief may be signed in), mails the
 * user, and leaves a trail: a security event on the user naming the admin, and a log line.
 * Idempotent: without 2FA it changes nothing. An admin's own 2FA goes through the normal flow.
 */
export async function disableTwoFactorHandler({
  ctx,
  input,
}: {
  ctx: Context & { auth: AuthState };
  input: z.infer<typeof userIdInput>;
}): Promise<z.infer<typeof disableTwoFactorOutput>> {
  if (input.userId === ctx.auth.userId) {
    throw new AppError('BAD_REQUEST', 'cannot_reset_own_two_factor', 'Turn off your own two-factor authentication on your account page.');
  }
  const { users, userTwoFactor, recoveryCodes } = schema;
  const result = await withTransaction(ctx.db, async (tx) => {
    const [user] = await tx.select({ id: users.id, email: users.email }).from(users).where(eq(users.id, input.userId)).for('update').limit(1);
    if (!user) throw new AppError('NOT_FOUND', 'user_not_found', 'No such user.');
    const removed = await tx.delete(userTwoFactor).where(eq(userTwoFactor.userId, user.id)).returning({ enabledAt: userTwoFactor.enabledAt });
    const wasOn = removed.some((row) => row.enabledAt !== null);
    if (!wasOn) return { user, wasOn, revoked: [] };
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    return { user, wasOn, revoked: await revokeUserSessions(tx, user.id, 'two_factor_reset') };
  });
  if (!result.wasOn) return { success: true, twoFactorWasOn: false, revokedSessions: 0 };
  await announceRevokedSessions(ctx, result.revoked);
  await recordSecurityEvent(ctx, 'two_factor_disabled', result.user.id, { by: ctx.auth.userId, via: 'admin', revokedSessions: result.revoked.length });
  // The audit trail until the audit log exists: actor, subject, what.
  ctx.log.warn({ audit: 'admin.users.disableTwoFactor', adminId: ctx.auth.userId, userId: result.user.id, revokedSessions: result.revoked.length }, 'admin turned off two-factor authentication');
  await queueMail(ctx.jobs, result.user.email, { template: 'two_factor_reset_by_admin' });
  return { success: true, twoFactorWasOn: true, revokedSessions: result.revoked.length };
}
