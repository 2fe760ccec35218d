import { and, eq, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AuthState } from '../auth/guards.ts';
import { revokeUserSessions } from '../auth/session.service.ts';
import { announceRevokedSessions } from '../auth/session-revocation.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { announceUserKeysChanged } from '../api-keys/service.ts';
import type { disableUserOutput, userIdInput } from './users.schema.ts';

/** Disables an account and ends all its sessions on every instance at once. Idempotent. */
export async function disableUserHandler({
  ctx,
  input,
}: {
  ctx: Context & { auth: AuthState };
  input: z.infer<typeof userIdInput>;
}): Promise<z.infer<typeof disableUserOutput>> {
  if (input.userId === ctx.auth.userId) throw new AppError('BAD_REQUEST', 'cannot_disable_self', 'You cannot disable your own account.');
  const { users } = schema;
  const revoked = await withTransaction(ctx.db, async (tx) => {
    const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId)).for('update').limit(1);
    if (!user) throw new AppError('NOT_FOUND', 'user_not_found', 'No such user.');
    await tx
      .update(users)
      .set({ disabledAt: sql`now()` })
      .where(and(eq(users.id, user.id), isNull(users.disabledAt)));
    return revokeUserSessions(tx, user.id, 'account_disabled');
  });
  await announceRevokedSessions(ctx, revoked);
  // The owner's API keys stop working everywhere at once too.
  await announceUserKeysChanged(ctx, input.userId);
  await recordSecurityEvent(ctx, 'account_disabled', input.userId, { by: ctx.auth.userId, revokedSessions: revoked.length });
  return { success: true, revokedSessions: revoked.length };
}
