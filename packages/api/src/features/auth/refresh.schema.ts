import { z } from 'zod';

export const refreshInput = z
  .object({
    /** Absent: the refresh cookie is used and the new pair is set as cookies. */
    refreshToken: z.string().min(1).max(200).optional(),
  })
  .optional();

export const refreshOutput = z.object({
  accessTokenExpiresAt: z.iso.datetime(),
  accessToken: z.string().optional(),
  refreshToken: z.string().optional(),
});
