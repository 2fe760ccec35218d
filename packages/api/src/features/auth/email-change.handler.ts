import { and, eq, gt, gte, isNotNull, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema, withTransaction, type Transaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { enforceRateLimit } from '../../lib/rate-limit/enforce.ts';
import { queueLinkMail, queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import {
  EMAIL_CHANGE_TTL_SECONDS,
  EMAIL_UNDO_TTL_SECONDS,
  type confirmEmailChangeOutput,
  type emailChangeTokenInput,
  type requestEmailChangeInput,
  type requestEmailChangeOutput,
  type undoEmailChangeOutput,
  type updateProfileInput,
  type updateProfileOutput,
} from './email-change.schema.ts';
import type { AuthState } from './guards.ts';
import { consumeSubjectToken, invalidToken, voidTokens } from './one-time-token.ts';
import { verifyPassword } from './password.ts';
import { revokeUserSessions } from './session.service.ts';
import { announceRevokedSessions } from './session-revocation.ts';
import { toUserDto, userColumns } from './user.dto.ts';

const { users, emailChanges } = schema;

const fieldError = (field: string, reason: string, message: string) => new AppError('BAD_REQUEST', reason, message, { fieldErrors: { [field]: [message] } });

/** The owner of the new mailbox learns that its address is taken; no one else does. */
const emailTaken = () => new AppError('CONFLICT', 'email_taken', 'This address now belongs to another Bastion account, so the change cannot be made.');

const isUniqueViolation = (error: unknown) => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';

/** Ends the user's pending changes and their links: only the newest request may be confirmed. */
async function supersedePending(tx: Transaction, userId: string) {
  await tx
    .update(emailChanges)
    .set({ supersededAt: sql`now()` })
    .where(and(eq(emailChanges.userId, userId), isNull(emailChanges.confirmedAt), isNull(emailChanges.supersededAt)));
  await voidTokens(tx, userId, 'change_email');
}

export async function updateProfileHandler({ ctx, input }: { ctx: Context & { auth: AuthState }; input: z.infer<typeof updateProfileInput> }): Promise<z.infer<typeof updateProfileOutput>> {
  const [user] = await ctx.db
    .update(users)
    .set({ name: input.name === '' ? null : input.name, updatedAt: sql`now()` })
    .where(eq(users.id, ctx.auth.userId))
    .returning(userColumns);
  if (!user) throw new AppError('UNAUTHORIZED', 'unauthenticated', 'Sign in to continue.');
  await recordSecurityEvent(ctx, 'profile_updated', user.id, { fields: 'name' });
  return { user: toUserDto(user) };
}

/**
 * Asks for a change of address with the password. A link goes to the new address; the account
 * keeps the old one (and its sessions) until that link is used. For an address that belongs to
 * another account, that address's owner is told instead, and the caller gets the same answer.
 */
export async function requestEmailChangeHandler({
  ctx,
  input,
}: {
  ctx: Context & { auth: AuthState };
  input: z.infer<typeof requestEmailChangeInput>;
}): Promise<z.infer<typeof requestEmailChangeOutput>> {
  await enforceRateLimit(ctx, 'auth.emailChange', `user:${ctx.auth.userId}`);
  const [user] = await ctx.db.select({ id: users.id, email: users.email, passwordHash: users.passwordHash }).from(users).where(eq(users.id, ctx.auth.userId)).limit(1);
  if (!user) throw new AppError('UNAUTHORIZED', 'unauthenticated', 'Sign in to continue.');
  if (!(await verifyPassword(user.passwordHash, input.password))) throw fieldError('password', 'invalid_password', 'The password is incorrect.');
  if (input.newEmail === user.email.toLowerCase()) throw fieldError('newEmail', 'validation_failed', 'This is already your email address.');

  const [owner] = await ctx.db.select({ id: users.id }).from(users).where(eq(sql`lower(${users.email})`, input.newEmail)).limit(1);
  const changeId = await withTransaction(ctx.db, async (tx) => {
    await supersedePending(tx, user.id);
    if (owner) return null;
    const [change] = await tx.insert(emailChanges).values({ userId: user.id, oldEmail: user.email, newEmail: input.newEmail }).returning({ id: emailChanges.id });
    return change!.id;
  });
  if (changeId) {
    await queueLinkMail(ctx.jobs, { linkFor: 'confirm_email_change', changeId });
  } else {
    ctx.log.info({ userId: user.id }, 'email change to the address of another account; that address is told');
    const origin = ctx.config.http.appOrigin;
    await queueMail(ctx.jobs, input.newEmail, { template: 'email_change_taken', signInLink: `${origin}/sign-in`, resetLink: `${origin}/forgot-password` });
  }
  await recordSecurityEvent(ctx, 'email_change_requested', user.id);
  return { status: 'confirmation_sent', newEmail: input.newEmail };
}

/** The link from the new address: the account takes it (verified, as the link proves it), sessions stay. */
export async function confirmEmailChangeHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof emailChangeTokenInput> }): Promise<z.infer<typeof confirmEmailChangeOutput>> {
  let confirmed: { userId: string; changeId: string; email: string };
  try {
    confirmed = await withTransaction(ctx.db, async (tx) => {
      const { userId, subjectId } = await consumeSubjectToken(tx, 'change_email', input.token);
      if (!subjectId) throw invalidToken();
      const [change] = await tx
        .select({ id: emailChanges.id, oldEmail: emailChanges.oldEmail, newEmail: emailChanges.newEmail })
        .from(emailChanges)
        .where(
          and(
            eq(emailChanges.id, subjectId),
            eq(emailChanges.userId, userId),
            isNull(emailChanges.confirmedAt),
            isNull(emailChanges.supersededAt),
            gt(emailChanges.createdAt, sql`now() - make_interval(secs => ${EMAIL_CHANGE_TTL_SECONDS})`),
          ),
        )
        .limit(1);
      if (!change) throw invalidToken();
      // Only from the address the request was made with: a change in between voids this one.
      const [updated] = await tx
        .update(users)
        .set({ email: change.newEmail, emailVerifiedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(users.id, userId), eq(sql`lower(${users.email})`, change.oldEmail.toLowerCase())))
        .returning({ id: users.id });
      if (!updated) throw invalidToken();
      await tx.update(emailChanges).set({ confirmedAt: sql`now()` }).where(eq(emailChanges.id, change.id));
      return { userId, changeId: change.id, email: change.newEmail };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
  await queueLinkMail(ctx.jobs, { linkFor: 'email_changed', changeId: confirmed.changeId });
  await recordSecurityEvent(ctx, 'email_changed', confirmed.userId);
  return { success: true, email: confirmed.email };
}

/**
 * The undo link mailed to the old address: the account gets that address back, this change and
 * any later one are undone, and every session ends, since whoever changed it may not be the owner.
 */
export async function undoEmailChangeHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof emailChangeTokenInput> }): Promise<z.infer<typeof undoEmailChangeOutput>> {
  let undone: { userId: string; email: string; revoked: string[] };
  try {
    undone = await withTransaction(ctx.db, async (tx) => {
      const { userId, subjectId } = await consumeSubjectToken(tx, 'revert_email', input.token);
      if (!subjectId) throw invalidToken();
      const [change] = await tx
        .select({ id: emailChanges.id, oldEmail: emailChanges.oldEmail, createdAt: emailChanges.createdAt })
        .from(emailChanges)
        .where(
          and(
            eq(emailChanges.id, subjectId),
            eq(emailChanges.userId, userId),
            isNotNull(emailChanges.confirmedAt),
            isNull(emailChanges.revertedAt),
            gt(emailChanges.confirmedAt, sql`now() - make_interval(secs => ${EMAIL_UNDO_TTL_SECONDS})`),
          ),
        )
        .limit(1);
      if (!change) throw invalidToken();
      await tx.update(users).set({ email: change.oldEmail, emailVerifiedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(users.id, userId));
      await tx
        .update(emailChanges)
        .set({ revertedAt: sql`now()` })
        .where(and(eq(emailChanges.userId, userId), gte(emailChanges.createdAt, change.createdAt), isNotNull(emailChanges.confirmedAt), isNull(emailChanges.revertedAt)));
      await supersedePending(tx, userId);
      const revoked = await revokeUserSessions(tx, userId, 'email_change_reverted');
      return { userId, email: change.oldEmail, revoked };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
  await announceRevokedSessions(ctx, undone.revoked);
  await recordSecurityEvent(ctx, 'email_change_reverted', undone.userId, { revokedSessions: undone.revoked.length });
  return { success: true, email: undone.email, revokedSessions: undone.revoked.length };
}
