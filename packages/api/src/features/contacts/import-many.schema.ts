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
  /** Pass to `contacts.undoImport` within 10 minutes; null when nothing was created. */
  importId: z.uuid().nullable(),
  created: z.number().int(),
  duplicates: z.number().int(),
  invalid: z.number().int(),
  results: z.array(importRowResult),
});

export type ImportRowResult = z.infer<typeof importRowResult>;

/** What an import would do, written nowhere: `new` rows would be created. */
export const previewRowResult = z.discriminatedUnion('status', [
  z.object({ index: z.number().int(), status: z.literal('new') }),
  importRowResult.options[1],
  importRowResult.options[2],
]);

export const previewImportOutput = z.object({
  new: z.number().int(),
  duplicates: z.number().int(),
  invalid: z.number().int(),
  results: z.array(previewRowResult),
});

export type PreviewRowResult = z.infer<typeof previewRowResult>;

export const undoImportInput = z.strictObject({ importId: z.uuid('Not a valid import id.') });

/** `kept`: contacts of the import changed since, which undo leaves alone. */
export const undoImportOutput = z.object({ deleted: z.number().int().min(0), kept: z.number().int().min(0) });
