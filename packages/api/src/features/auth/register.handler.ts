import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { queueVerificationEmail } from './emailed-links.ts';
import { hashPassword } from './password.ts';
import type { registerInput, registerOutput } from './register.schema.ts';
import { toUserDto, userColumns, type UserDto } from './user.dto.ts';

type RegisterInput = z.infer<typeof registerInput>;

/**
 * Answers a new address and a taken one alike (ADR 045): same status, same shape, the same work
 * (one argon2 hash, one insert attempt, one lookup or event, one queued mail) and nothing changed
 * for the existing account. The owner of a taken address is mailed instead of the caller told.
 */
export async function registerHandler({ ctx, input }: { ctx: Context; input: RegisterInput }): Promise<z.infer<typeof registerOutput>> {
  const passwordHash = await hashPassword(input.password);
  const [user] = await ctx.db
    .insert(schema.users)
    .values({ email: input.email, name: input.name ?? null, passwordHash })
    .onConflictDoNothing()
    .returning(userColumns);
  if (!user) {
    await tellOwner(ctx, input.email);
    return { status: 'verification_sent', user: placeholderUser(input) };
  }
  await recordSecurityEvent(ctx, 'user_registered', user.id);
  ctx.log.info({ userId: user.id }, 'user registered');
  try {
    await queueVerificationEmail(ctx, user.id);
  } catch (error) {
    // The account exists either way; the user can ask for the email again.
    ctx.log.error({ err: error, userId: user.id }, 'could not queue the verification email');
  }
  return { status: 'verification_sent', user: toUserDto(user) };
}

/** Mails the owner of a taken address; the caller learns nothing of it. */
async function tellOwner(ctx: Context, email: string): Promise<void> {
  const { users } = schema;
  const [owner] = await ctx.db
    .select({ id: users.id, email: users.email, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email))
    .limit(1);
  if (!owner || owner.disabledAt) return;
  ctx.log.info({ userId: owner.id }, 'sign-up with the address of an existing account; the owner is mailed');
  try {
    const origin = ctx.config.http.appOrigin;
    await queueMail(ctx.jobs, owner.email, { template: 'account_exists', signInLink: `${origin}/sign-in`, resetLink: `${origin}/forgot-password` });
  } catch (error) {
    ctx.log.error({ err: error, userId: owner.id }, 'could not queue the account-exists email');
  }
}

/**
 * What a new account would have looked like: a fresh random (v4, like the column default) id that
 * is never stored. Nothing accepts a user id from a signed-out caller, so it leads nowhere; the
 * account a client can rely on is the one `auth.login` returns.
 */
function placeholderUser(input: RegisterInput): UserDto {
  return { id: randomUUID(), email: input.email, name: input.name ?? null, role: 'user', emailVerified: false, createdAt: new Date().toISOString(), deletionScheduledAt: null };
}
