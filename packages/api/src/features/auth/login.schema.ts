import { z } from 'zod';
import { userOutput } from './user.dto.ts';

export const tokenDelivery = z.enum(['cookie', 'body']).default('cookie');

export const loginInput = z.object({
  // Not validated as an email: a malformed one answers like any unknown account.
  email: z.string().trim().toLowerCase().min(1, 'Enter your email address.').max(254),
  password: z.string().min(1, 'Enter your password.').max(1024),
  tokenDelivery,
});

/** A successful sign-in; tokens appear only with `tokenDelivery: 'body'`. */
export const authenticatedOutput = z.object({
  status: z.literal('authenticated'),
  user: userOutput,
  accessTokenExpiresAt: z.iso.datetime(),
  accessToken: z.string().optional(),
  refreshToken: z.string().optional(),
});

/** The password was right and 2FA is on: `auth.login2fa` with this challenge finishes the sign-in. */
export const twoFactorRequiredOutput = z.object({
  status: z.literal('two_factor_required'),
  challengeId: z.uuid(),
});

export const loginOutput = z.discriminatedUnion('status', [authenticatedOutput, twoFactorRequiredOutput]);
