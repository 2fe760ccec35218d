import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { enforceRateLimit } from '../../lib/rate-limit/enforce.ts';
import { sessionIdOf, type AuthState } from '../auth/guards.ts';
import { hashPassword, newPasswordSchema, passwordResemblesEmail } from '../auth/password.ts';
import { recordSecurityEvent } from '../security/events.ts';

/** "Recently authenticated": the session was opened (a sign-in) this long ago at most. */
export const RECENT_AUTH_SECONDS = 10 * 60;

export const setPasswordInput = z.object({ newPassword: newPasswordSchema });
export const setPasswordOutput = z.object({ success: z.literal(true) });
export const passwordStatusOutput = z.object({ hasPassword: z.boolean() });

/** Whether the account has a password: the web app offers "set" or "change" accordingly. */
export async function passwordStatusHandler({ ctx }: { ctx: Context & { auth: AuthState } }): Promise<z.infer<typeof passwordStatusOutput>> {
  const [user] = await ctx.db
    .select({ hasPassword: sql<boolean>`${schema.users.passwordHash} is not null` })
    .from(schema.users)
    .where(eq(schema.users.id, ctx.auth.userId))
    .limit(1);
  if (!user) throw new AppError('UNAUTHORIZED', 'unauthenticated', 'Sign in to continue.');
  return { hasPassword: user.hasPassword };
}

/**
 * A first password for an account created through a provider. Only within minutes of a sign-in:
 * a session token stolen later cannot add a password and keep the account after the provider
 * link is cut. An account that has a password changes it with `auth.changePassword` instead.
 */
export async function setPasswordHandler({ ctx, input }: { ctx: Context & { auth: AuthState }; input: z.infer<typeof setPasswordInput> }): Promise<z.infer<typeof setPasswordOutput>> {
  await enforceRateLimit(ctx, 'auth.changePassword', `user:${ctx.auth.userId}`);
  const { users, sessions } = schema;
  const [recent] = await ctx.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, sessionIdOf(ctx.auth)), eq(sessions.userId, ctx.auth.userId), gt(sessions.createdAt, sql`now() - make_interval(secs => ${RECENT_AUTH_SECONDS})`)))
    .limit(1);
  if (!recent) throw new AppError('FORBIDDEN', 'reauthentication_required', 'For your security, sign in again, then set your password within 10 minutes.');
  const [user] = await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, ctx.auth.userId)).limit(1);
  if (!user) throw new AppError('UNAUTHORIZED', 'unauthenticated', 'Sign in to continue.');
  if (passwordResemblesEmail(input.newPassword, user.email)) {
    const message = 'The password must not be your email address.';
    throw new AppError('BAD_REQUEST', 'validation_failed', message, { fieldErrors: { newPassword: [message] } });
  }
  const passwordHash = await hashPassword(input.newPassword);
  // Only where none is set: never a way around `changePassword`'s current-password check.
  const updated = await ctx.db
    .update(users)
    .set({ passwordHash })
    .where(and(eq(users.id, ctx.auth.userId), isNull(users.passwordHash)))
    .returning({ id: users.id });
  if (updated.length === 0) throw new AppError('FORBIDDEN', 'password_already_set', 'This account already has a password: change it instead.');
  await recordSecurityEvent(ctx, 'password_set', ctx.auth.userId);
  return { success: true as const };
}
