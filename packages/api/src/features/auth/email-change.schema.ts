import { z } from 'zod';
import { emailInput } from './register.schema.ts';
import { userOutput } from './user.dto.ts';

export const EMAIL_CHANGE_TTL_SECONDS = 24 * 3600;
/** How long the old address can undo a change. */
export const EMAIL_UNDO_TTL_SECONDS = 7 * 24 * 3600;

export const requestEmailChangeInput = z.object({
  newEmail: emailInput,
  password: z.string().min(1, 'Enter your password.').max(1024),
});

/** The same whether or not the new address belongs to another account: nothing says which. */
export const requestEmailChangeOutput = z.object({ status: z.literal('confirmation_sent'), newEmail: z.email() });

export const emailChangeTokenInput = z.object({ token: z.string().trim().min(1, 'The link has no token.').max(200) });

export const confirmEmailChangeOutput = z.object({ success: z.literal(true), email: z.email() });

export const undoEmailChangeOutput = z.object({ success: z.literal(true), email: z.email(), revokedSessions: z.number().int().min(0) });

export const updateProfileInput = z.object({
  /** Empty clears the name. */
  name: z.string().trim().max(100, 'Use at most 100 characters.'),
});

export const updateProfileOutput = z.object({ user: userOutput });
