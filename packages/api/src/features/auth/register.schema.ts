import { z } from 'zod';
import { newPasswordSchema, passwordResemblesEmail } from './password.ts';
import { userOutput } from './user.dto.ts';

export const emailInput = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('Enter a valid email address.').max(254, 'Use at most 254 characters.'));

export const registerInput = z
  .object({
    email: emailInput,
    password: newPasswordSchema,
    name: z.string().trim().min(1, 'Enter a name or leave it empty.').max(100, 'Use at most 100 characters.').optional(),
  })
  .superRefine((value, ctx) => {
    if (passwordResemblesEmail(value.password, value.email)) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'The password must not be your email address.' });
    }
  });

/**
 * The same for a new and a taken address (ADR 045): a verification email is on its way to the
 * address's owner. `user` is the account as created; for a taken address it is a placeholder that
 * was never stored. Sign in to learn the account.
 */
export const registerOutput = z.object({ status: z.literal('verification_sent'), user: userOutput });
