import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AuthState } from '../auth/guards.ts';
import { unlockAccount } from '../auth/lockout.ts';
import { recordSecurityEvent } from '../security/events.ts';
import type { unlockUserOutput, userIdInput } from './users.schema.ts';

/** Lifts every sign-in block on the account, from every address. */
export async function unlockUserHandler({
  ctx,
  input,
}: {
  ctx: Context & { auth: AuthState };
  input: z.infer<typeof userIdInput>;
}): Promise<z.infer<typeof unlockUserOutput>> {
  const [user] = await ctx.db.select({ email: schema.users.email }).from(schema.users).where(eq(schema.users.id, input.userId)).limit(1);
  if (!user) throw new AppError('NOT_FOUND', 'user_not_found', 'No such user.');
  const cleared = await unlockAccount(ctx, user.email);
  await recordSecurityEvent(ctx, 'account_unlocked', input.userId, { by: ctx.auth.userId });
  return { success: true, clearedBlocks: cleared };
}
