import { z } from 'zod';
import { SCOPE_NAMES } from './scopes.ts';

/** A key lives at most a year: a forgotten service credential must not work forever. */
export const MAX_KEY_LIFETIME_MS = 366 * 86_400_000;

export const scopeSchema = z.enum(SCOPE_NAMES, { error: 'Choose a known scope.' });

export const createApiKeyInput = z.strictObject({
  name: z.string().trim().min(1, 'Enter a name.').max(100, 'Use at most 100 characters.'),
  scopes: z
    .array(scopeSchema)
    .min(1, 'Choose at least one scope.')
    .max(SCOPE_NAMES.length)
    .transform((scopes) => [...new Set(scopes)]),
  expiresAt: z.iso
    .datetime({ offset: true, error: 'Use an ISO 8601 date and time.' })
    .refine((value) => Date.parse(value) > Date.now(), 'Choose a time in the future.')
    .refine((value) => Date.parse(value) <= Date.now() + MAX_KEY_LIFETIME_MS, 'A key can live at most one year.')
    .optional(),
});

export const apiKeyOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  scopes: z.array(scopeSchema),
  /** The 8 characters after `bst_`: how a key is recognised in lists and logs. */
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});

export const createApiKeyOutput = apiKeyOutput.pick({ id: true, name: true, scopes: true, prefix: true, createdAt: true, expiresAt: true }).extend({
  /** `bst_<prefix>_<secret>`: shown this once, never stored. */
  key: z.string(),
});

export const listApiKeysOutput = z.array(apiKeyOutput);

export const revokeApiKeyInput = z.strictObject({ id: z.uuid('Not a valid key id.') });
export const revokeApiKeyOutput = z.object({ success: z.literal(true) });

export type ApiKeyDto = z.infer<typeof apiKeyOutput>;
