import { z } from 'zod';
import { PROVIDERS } from './provider.ts';

export const providersOutput = z.object({ providers: z.array(z.object({ id: z.enum(PROVIDERS), name: z.string() })) });

export const startInput = z.object({
  provider: z.enum(PROVIDERS),
  // Checked by the handler (same-origin relative path), so a bad value answers `invalid_redirect`.
  redirectTo: z.string().max(2048).optional(),
  intent: z.enum(['signin', 'link']).default('signin'),
});

export const startOutput = z.object({ authorizationUrl: z.url() });
