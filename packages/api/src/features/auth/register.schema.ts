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

export const registerOutput = z.object({ user: userOutput });
