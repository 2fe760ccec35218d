import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { enforceRateLimit } from '../../lib/rate-limit/enforce.ts';
import { keepAnAdmin } from '../admin/last-admin.ts';
import { recordAudit, userActor } from '../audit/audit.service.ts';
import type { AuthState } from '../auth/guards.ts';
import { verifyPassword } from '../auth/password.ts';
import { revokeUserSessions } from '../auth/session.service.ts';
import { announceRevokedSessions } from '../auth/session-revocation.ts';
import { clearTokenCookies } from '../auth/token-cookies.ts';
import { acceptSecondFactor, twoFactorState } from '../auth/two-factor.service.ts';
import { queueMail } from '../mail/send-mail.job.ts';

type AuthedContext = Context & { auth: AuthState };

/**
 * account.delete: re-authentication (password, and a code when 2FA is on), then the erasure is
 * scheduled after the grace period and every session ends at once. Signing in still works until
 * the erasure runs, so the user can cancel. The last admin cannot delete their account.
 */
export async function scheduleDeletion(ctx: AuthedContext, input: { password: string; code?: string | undefined }): Promise<{ deletionAt: string }> {
  const userId = ctx.auth.userId;
  // Each attempt is a password guess: counted with the other credential checks of the account.
  await enforceRateLimit(ctx, 'auth.changePassword', `user:${userId}`);
  const { users } = schema;
  const [user] = await ctx.db.select({ email: users.email, passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)).limit(1);
  if (!user || !(await verifyPassword(user.passwordHash, input.password))) {
    throw new AppError('BAD_REQUEST', 'invalid_password', 'The password is incorrect.', { fieldErrors: { password: ['The password is incorrect.'] } });
  }
  if ((await twoFactorState(ctx.db, userId))?.enabled) {
    if (!input.code) throw new AppError('BAD_REQUEST', 'two_factor_required', 'Enter a code from your authenticator app.', { fieldErrors: { code: ['Enter a code from your authenticator app.'] } });
    if (!(await acceptSecondFactor(ctx, userId, input.code))) {
      throw new AppError('BAD_REQUEST', 'invalid_two_factor_code', 'The code is incorrect or was already used.', { fieldErrors: { code: ['The code is incorrect or was already used.'] } });
    }
  }
  const { deletionAt, revoked } = await withTransaction(ctx.db, async (tx) => {
    await keepAnAdmin(tx, userId);
    const [row] = await tx
      .update(users)
      .set({ deletionScheduledAt: sql`coalesce(${users.deletionScheduledAt}, now() + make_interval(secs => ${ctx.config.compliance.deletionGraceSeconds}))` })
      .where(eq(users.id, userId))
      .returning({ deletionAt: users.deletionScheduledAt });
    const ids = await revokeUserSessions(tx, userId, 'account_deletion');
    await recordAudit(tx, ctx, { actor: userActor(userId), action: 'account.deletion_requested', subjectId: userId, detail: { deletionAt: row!.deletionAt!.toISOString(), revokedSessions: ids.length } });
    return { deletionAt: row!.deletionAt!, revoked: ids };
  });
  await announceRevokedSessions(ctx, revoked);
  clearTokenCookies(ctx.cookies, ctx.config.auth);
  await queueMail(ctx.jobs, user.email, {
    template: 'account_deletion_scheduled',
    deletionAt: deletionAt.toISOString().slice(0, 16).replace('T', ' '),
    cancelLink: `${ctx.config.http.appOrigin}/account/privacy`,
  });
  return { deletionAt: deletionAt.toISOString() };
}

/** account.cancelDeletion: the account stays. Idempotent (audited only when something was cancelled). */
export async function cancelDeletion(ctx: AuthedContext): Promise<{ success: true; cancelled: boolean }> {
  const { users } = schema;
  const cancelled = await withTransaction(ctx.db, async (tx) => {
    const rows = await tx
      .update(users)
      .set({ deletionScheduledAt: null })
      .where(and(eq(users.id, ctx.auth.userId), isNotNull(users.deletionScheduledAt)))
      .returning({ id: users.id });
    if (rows.length > 0) await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'account.deletion_cancelled', subjectId: ctx.auth.userId });
    return rows.length > 0;
  });
  return { success: true, cancelled };
}
