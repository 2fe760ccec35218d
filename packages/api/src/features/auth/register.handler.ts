import type { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { sendVerificationEmail } from './email-verification.handler.ts';
import { hashPassword } from './password.ts';
import type { registerInput, registerOutput } from './register.schema.ts';
import { toUserDto, userColumns } from './user.dto.ts';

/** A duplicate email fails on the unique index and leaves as CONFLICT `resource_already_exists`. */
export async function registerHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof registerInput> }): Promise<z.infer<typeof registerOutput>> {
  const passwordHash = await hashPassword(input.password);
  const [user] = await ctx.db
    .insert(schema.users)
    .values({ email: input.email, name: input.name ?? null, passwordHash })
    .returning(userColumns);
  if (!user) throw new Error('user insert returned nothing');
  await recordSecurityEvent(ctx, 'user_registered', user.id);
  ctx.log.info({ userId: user.id }, 'user registered');
  try {
    await sendVerificationEmail(ctx, user);
  } catch (error) {
    // The account exists either way; the user can ask for the email again.
    ctx.log.error({ err: error, userId: user.id }, 'could not queue the verification email');
  }
  return { user: toUserDto(user) };
}
