import { eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { recordSecurityEvent } from '../security/events.ts';
import type { resendVerificationOutput, tokenInput } from './email-verification.schema.ts';
import type { AuthState } from './guards.ts';
import { queueVerificationEmail } from './emailed-links.ts';
import { consumeToken } from './one-time-token.ts';
import { enforceRateLimit } from '../../lib/rate-limit/enforce.ts';

export async function verifyEmailHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof tokenInput> }) {
  const userId = await consumeToken(ctx.db, 'verify_email', input.token);
  await ctx.db
    .update(schema.users)
    .set({ emailVerifiedAt: sql`coalesce(${schema.users.emailVerifiedAt}, now())` })
    .where(eq(schema.users.id, userId));
  await recordSecurityEvent(ctx, 'email_verified', userId);
  return { success: true as const };
}

export async function resendVerificationHandler({ ctx }: { ctx: Context & { auth: AuthState } }): Promise<z.infer<typeof resendVerificationOutput>> {
  const [user] = await ctx.db
    .select({ id: schema.users.id, email: schema.users.email, verifiedAt: schema.users.emailVerifiedAt })
    .from(schema.users)
    .where(eq(schema.users.id, ctx.auth.userId))
    .limit(1);
  if (!user || user.verifiedAt) return { success: true, alreadyVerified: true };
  await enforceRateLimit(ctx, 'auth.verificationEmail', `user:${user.id}`);
  await queueVerificationEmail(ctx, user.id);
  return { success: true, alreadyVerified: false };
}
