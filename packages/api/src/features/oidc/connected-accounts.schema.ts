import { z } from 'zod';
import { PROVIDERS } from './provider.ts';

export const connectedAccountOutput = z.object({
  id: z.uuid(),
  provider: z.enum(PROVIDERS),
  email: z.string().nullable(),
  scopes: z.array(z.string()),
  status: z.enum(['active', 'needs_reauth', 'revoked']),
  expiresAt: z.iso.datetime().nullable(),
  lastRefreshedAt: z.iso.datetime().nullable(),
});

export const listConnectedAccountsOutput = z.array(connectedAccountOutput);

export const disconnectInput = z.object({ id: z.uuid() });
export const disconnectOutput = z.object({ success: z.literal(true) });
