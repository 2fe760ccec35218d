import { z } from 'zod';

export const userIdInput = z.object({ userId: z.uuid() });

export const disableUserOutput = z.object({ success: z.literal(true), revokedSessions: z.number().int().min(0) });

export const unlockUserOutput = z.object({ success: z.literal(true), clearedBlocks: z.number().int().min(0) });

export const disableTwoFactorOutput = z.object({
  success: z.literal(true),
  /** False: the user had no 2FA on, and nothing changed. */
  twoFactorWasOn: z.boolean(),
  revokedSessions: z.number().int().min(0),
});
