import { and, eq, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { recordAudit, userActor } from '../audit/audit.service.ts';
import type { AuthState } from '../auth/guards.ts';
import { unlockAccount } from '../auth/lockout.ts';
import { revokeUserSessions } from '../auth/session.service.ts';
import { announceRevokedSessions, evictUserSessions } from '../auth/session-revocation.ts';
import { announceUserKeysChanged } from '../api-keys/service.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { keepAnAdmin } from './last-admin.ts';
import type {
  disableTwoFactorOutput,
  disableUserOutput,
  enableUserOutput,
  revokeSessionsInput,
  revokeSessionsOutput,
  setRoleInput,
  setRoleOutput,
  unlockUserOutput,
  userActionInput,
} from './users.schema.ts';

type StaffContext = Context & { auth: AuthState };
type Handler<I, O> = (options: { ctx: StaffContext; input: I }) => Promise<O>;

const notFound = () => new AppError('NOT_FOUND', 'user_not_found', 'No such user.');

/** Every admin action: locked target row, the change, and exactly one audit entry, in one transaction. */
async function lockUser(tx: Parameters<Parameters<typeof withTransaction>[1]>[0], id: string) {
  const { users } = schema;
  const [user] = await tx.select({ id: users.id, email: users.email, role: users.role, disabledAt: users.disabledAt }).from(users).where(eq(users.id, id)).for('update').limit(1);
  if (!user) throw notFound();
  return user;
}

/** Disables an account and ends all its sessions on every instance at once. Idempotent (audited each time). */
export const disableUserHandler: Handler<z.infer<typeof userActionInput>, z.infer<typeof disableUserOutput>> = async ({ ctx, input }) => {
  if (input.id === ctx.auth.userId) throw new AppError('BAD_REQUEST', 'cannot_disable_self', 'You cannot disable your own account.');
  const { users } = schema;
  const revoked = await withTransaction(ctx.db, async (tx) => {
    await keepAnAdmin(tx, input.id);
    const user = await lockUser(tx, input.id);
    await tx
      .update(users)
      .set({ disabledAt: sql`now()` })
      .where(and(eq(users.id, user.id), isNull(users.disabledAt)));
    const ids = await revokeUserSessions(tx, user.id, 'account_disabled');
    await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'user.disabled', subjectId: user.id, detail: { reason: input.reason, revokedSessions: ids.length, wasDisabled: user.disabledAt !== null } });
    return ids;
  });
  await announceRevokedSessions(ctx, revoked);
  // The owner's API keys stop working everywhere at once too.
  await announceUserKeysChanged(ctx, input.id);
  await recordSecurityEvent(ctx, 'account_disabled', input.id, { by: ctx.auth.userId, revokedSessions: revoked.length });
  return { success: true, revokedSessions: revoked.length };
};

export const enableUserHandler: Handler<z.infer<typeof userActionInput>, z.infer<typeof enableUserOutput>> = async ({ ctx, input }) => {
  const { users } = schema;
  await withTransaction(ctx.db, async (tx) => {
    const user = await lockUser(tx, input.id);
    await tx.update(users).set({ disabledAt: null }).where(eq(users.id, user.id));
    await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'user.enabled', subjectId: user.id, detail: { reason: input.reason, wasDisabled: user.disabledAt !== null } });
  });
  // Instances that cached the owner's keys as refused serve them again.
  await announceUserKeysChanged(ctx, input.id);
  return { success: true };
};

/** Lifts every sign-in block on the account, from every address. */
export const unlockUserHandler: Handler<z.infer<typeof userActionInput>, z.infer<typeof unlockUserOutput>> = async ({ ctx, input }) => {
  const cleared = await withTransaction(ctx.db, async (tx) => {
    const user = await lockUser(tx, input.id);
    const count = await unlockAccount({ db: tx }, user.email);
    await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'user.unlocked', subjectId: user.id, detail: { reason: input.reason, clearedBlocks: count } });
    return count;
  });
  await recordSecurityEvent(ctx, 'account_unlocked', input.id, { by: ctx.auth.userId });
  return { success: true, clearedBlocks: cleared };
};

/**
 * Changes a role. The user's cached sessions are evicted on every instance, so the new role (a
 * demotion above all) counts from the next call on; the last active admin cannot be demoted.
 */
export const setRoleHandler: Handler<z.infer<typeof setRoleInput>, z.infer<typeof setRoleOutput>> = async ({ ctx, input }) => {
  const { users } = schema;
  const previousRole = await withTransaction(ctx.db, async (tx) => {
    if (input.role !== 'admin') await keepAnAdmin(tx, input.id);
    const user = await lockUser(tx, input.id);
    await tx.update(users).set({ role: input.role }).where(eq(users.id, user.id));
    await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'user.role_changed', subjectId: user.id, detail: { reason: input.reason, from: user.role, to: input.role } });
    return user.role;
  });
  await evictUserSessions(ctx, input.id);
  return { success: true, role: input.role, previousRole };
};

export const revokeSessionsHandler: Handler<z.infer<typeof revokeSessionsInput>, z.infer<typeof revokeSessionsOutput>> = async ({ ctx, input }) => {
  const revoked = await withTransaction(ctx.db, async (tx) => {
    const user = await lockUser(tx, input.id);
    const ids = await revokeUserSessions(tx, user.id, 'revoked_by_admin');
    await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'user.sessions_revoked', subjectId: user.id, detail: { reason: input.reason ?? null, revokedSessions: ids.length } });
    return ids;
  });
  await announceRevokedSessions(ctx, revoked);
  await recordSecurityEvent(ctx, 'sessions_revoked', input.id, { by: ctx.auth.userId, via: 'admin', revokedSessions: revoked.length });
  return { success: true, revokedSessions: revoked.length };
};

/**
 * The recovery path for a user who lost both the authenticator and the recovery codes (runbook in
 * docs/operations.md), after the admin has checked who is asking. Turns 2FA off, ends every session
 * of the user (2FA lost to a thief's authenticator means the thief may be signed in), mails the
 * user, and leaves a trail: the audit entry with the reason, and a security event on the user.
 * Idempotent: without 2FA it changes nothing (the attempt is audited all the same).
 */
export const disableTwoFactorHandler: Handler<z.infer<typeof userActionInput>, z.infer<typeof disableTwoFactorOutput>> = async ({ ctx, input }) => {
  if (input.id === ctx.auth.userId) {
    throw new AppError('BAD_REQUEST', 'cannot_reset_own_two_factor', 'Turn off your own two-factor authentication on your account page.');
  }
  const { userTwoFactor, recoveryCodes } = schema;
  const result = await withTransaction(ctx.db, async (tx) => {
    const user = await lockUser(tx, input.id);
    const removed = await tx.delete(userTwoFactor).where(eq(userTwoFactor.userId, user.id)).returning({ enabledAt: userTwoFactor.enabledAt });
    const wasOn = removed.some((row) => row.enabledAt !== null);
    let revoked: string[] = [];
    if (wasOn) {
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
      revoked = await revokeUserSessions(tx, user.id, 'two_factor_reset');
    }
    await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'user.two_factor_reset', subjectId: user.id, detail: { reason: input.reason, twoFactorWasOn: wasOn, revokedSessions: revoked.length } });
    return { user, wasOn, revoked };
  });
  if (!result.wasOn) return { success: true, twoFactorWasOn: false, revokedSessions: 0 };
  await announceRevokedSessions(ctx, result.revoked);
  await recordSecurityEvent(ctx, 'two_factor_disabled', result.user.id, { by: ctx.auth.userId, via: 'admin', revokedSessions: result.revoked.length });
  await queueMail(ctx.jobs, result.user.email, { template: 'two_factor_reset_by_admin' });
  return { success: true, twoFactorWasOn: true, revokedSessions: result.revoked.length };
};
