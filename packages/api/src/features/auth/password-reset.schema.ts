import { z } from 'zod';
import { newPasswordSchema } from './password.ts';

export const requestPasswordResetInput = z.object({
  // Not validated as an email: anything answers the same.
  email: z.string().trim().toLowerCase().min(1, 'Enter your email address.').max(254),
});

export const resetPasswordInput = z.object({
  token: z.string().trim().min(1).max(200),
  newPassword: newPasswordSchema,
});

export const changePasswordInput = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
  newPassword: newPasswordSchema,
});

export const changePasswordOutput = z.object({ success: z.literal(true), revokedSessions: z.number().int().min(0) });
