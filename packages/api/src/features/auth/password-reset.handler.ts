import { eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { cookieSessionId } from './cookie-session.ts';
import { unlockAccount } from './lockout.ts';
import { queuePasswordResetEmail } from './emailed-links.ts';
import { consumeToken, voidTokens } from './one-time-token.ts';
import { hashPassword, passwordResemblesEmail } from './password.ts';
import type { requestPasswordResetInput, resetPasswordInput } from './password-reset.schema.ts';
import { revokeUserSessions } from './session.service.ts';
import { announceRevokedSessions } from './session-revocation.ts';
import { enforceRateLimit } from '../../lib/rate-limit/enforce.ts';
import { clearTokenCookies } from './token-cookies.ts';
import { twoFactorState } from './two-factor.service.ts';


/**
 * Answers the same, in the same time, whether or not the account exists: it only queues one job
 * with the address, and the worker looks the account up, mints the link and mails it (or drops
 * the job). Limited per address and per email, counted for unknown emails too.
 */
export async function requestPasswordResetHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof requestPasswordResetInput> }) {
  await enforceRateLimit(ctx, 'auth.passwordResetEmail', `email:${input.email}`);
  await queuePasswordResetEmail(ctx, input.email);
  return { success: true as const };
}

/**
 * Sets a new password with a mailed token: single use, and every session of the user ends. The
 * link proves the mailbox, so it also verifies the email and lifts sign-in blocks. It does not
 * turn 2FA off: whoever holds the mailbox may not be the owner, so the second factor stays and
 * the notice says so (ADR 047; the admin recovery path is in docs/operations.md).
 */
export async function resetPasswordHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof resetPasswordInput> }) {
  const passwordHash = await hashPassword(input.newPassword);
  const { users } = schema;
  const { user, revoked } = await withTransaction(ctx.db, async (tx) => {
    const userId = await consumeToken(tx, 'reset_password', input.token);
    const [found] = await tx.select({ id: users.id, email: users.email }).from(users).where(eq(users.id, userId)).limit(1);
    if (!found) throw new AppError('BAD_REQUEST', 'invalid_token', 'This link is invalid, was already used or has expired. Request a new one.');
    if (passwordResemblesEmail(input.newPassword, found.email)) {
      throw new AppError('BAD_REQUEST', 'validation_failed', 'Invalid input', { fieldErrors: { newPassword: ['The password must not be your email address.'] } });
    }
    await tx
      .update(users)
      .set({ passwordHash, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
      .where(eq(users.id, found.id));
    await voidTokens(tx, found.id, 'reset_password');
    return { user: found, revoked: await revokeUserSessions(tx, found.id, 'password_reset') };
  });
  await announceRevokedSessions(ctx, revoked);
  // This browser's own session ended with the others: its cookies (and the session hint) go too.
  const own = await cookieSessionId(ctx);
  if (own && revoked.includes(own)) clearTokenCookies(ctx.cookies, ctx.config.auth);
  await unlockAccount(ctx, user.email);
  const twoFactorKept = (await twoFactorState(ctx.db, user.id))?.enabled ?? false;
  await recordSecurityEvent(ctx, 'password_reset', user.id, { revokedSessions: revoked.length, twoFactorKept });
  await queueMail(ctx.jobs, user.email, { template: 'password_changed', twoFactorKept });
  return { success: true as const };
}
