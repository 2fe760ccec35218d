import { z } from 'zod';
import { schema } from '@bastion/db';

/** An IANA zone name the runtime knows ("Europe/Paris", "UTC"); UTC offsets are not zones. */
export function isIanaTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** A BCP 47 language tag, returned in canonical form ("en-us" → "en-US"). */
function canonicalLocale(value: string): string | null {
  try {
    return Intl.getCanonicalLocales(value)[0] ?? null;
  } catch {
    return null;
  }
}

export const preferencesOutput = z.object({
  theme: z.enum(schema.THEMES),
  timeZone: z.string(),
  locale: z.string(),
  emailNotifications: z.boolean(),
  /** Null until the user first changes a preference. */
  updatedAt: z.iso.datetime().nullable(),
});

export type Preferences = z.infer<typeof preferencesOutput>;

export const preferencesUpdateInput = z.strictObject({
  theme: z.enum(schema.THEMES).optional(),
  timeZone: z.string().trim().max(64).refine(isIanaTimeZone, 'Choose a time zone such as Europe/Paris.').optional(),
  locale: z
    .string()
    .trim()
    .max(35)
    .transform((value, ctx) => {
      const locale = canonicalLocale(value);
      if (!locale || locale.length < 2) {
        ctx.addIssue({ code: 'custom', message: 'Choose a language such as en or fr-CA.' });
        return z.NEVER;
      }
      return locale;
    })
    .optional(),
  emailNotifications: z.boolean().optional(),
});

export type PreferencesUpdate = z.infer<typeof preferencesUpdateInput>;
