import { z } from 'zod';

export const tokenInput = z.object({ token: z.string().trim().min(1, 'The link has no token.').max(200) });

export const successOutput = z.object({ success: z.literal(true) });

export const resendVerificationOutput = z.object({ success: z.literal(true), alreadyVerified: z.boolean() });
