import { z } from 'zod';

export const IMPORT_MAX = 1000;

/** Rows are validated one by one in the handler, so one bad row is reported, not fatal. */
export const importManyInput = z.strictObject({
  contacts: z.array(z.unknown()).min(1, 'Import at least one contact.').max(IMPORT_MAX, `Import at most ${IMPORT_MAX} contacts at once.`),
});

export const importRowResult = z.discriminatedUnion('status', [
  z.object({ index: z.number().int(), status: z.literal('created'), id: z.uuid() }),
  /** `duplicateOf`: the earlier row of this import with the same email, or absent for an existing contact. */
  z.object({ index: z.number().int(), status: z.literal('duplicate'), duplicateOf: z.number().int().optional() }),
  /** Field errors by field name; `_` holds errors of the row as a whole (not an object, unknown keys). */
  z.object({ index: z.number().int(), status: z.literal('invalid'), fieldErrors: z.record(z.string(), z.array(z.string())) }),
]);

export const importManyOutput = z.object({
  created: z.number().int(),
  duplicates: z.number().int(),
  invalid: z.number().int(),
  results: z.array(importRowResult),
});

export type ImportRowResult = z.infer<typeof importRowResult>;
