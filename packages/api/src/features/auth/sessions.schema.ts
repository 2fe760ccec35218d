import { z } from 'zod';

export const sessionOutput = z.object({
  id: z.uuid(),
  current: z.boolean(),
  device: z.string(),
  ip: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime(),
});

export const listSessionsOutput = z.array(sessionOutput);

export const revokeSessionInput = z.object({ sessionId: z.uuid() });

export const logoutAllInput = z
  .object({
    /** Keep the calling session ("sign out everywhere else"). */
    exceptCurrent: z.boolean().default(false),
  })
  .optional();

export const revokedCountOutput = z.object({ revoked: z.number().int().min(0) });
