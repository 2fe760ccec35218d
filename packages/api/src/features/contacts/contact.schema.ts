import { z } from 'zod';
import { schema } from '@bastion/db';

const LIMITS = schema.CONTACT_LIMITS;

/** PostgreSQL cannot store NUL in text; other control characters have no place in one-line fields. */
const CONTROL_CHARACTERS = /\p{Cc}/u;
const CONTROL_EXCEPT_NEWLINES = /[^\P{Cc}\n\r\t]/u;

/**
 * Trimmed, NFC-normalized text: "é" typed as e + U+0301 and as U+00E9 is stored, and searched, the
 * same way. `max` counts code points, as the SQL checks (`char_length`) do.
 */
export function cleanText(max: number, { multiline = false, required = 'Enter text.' } = {}) {
  return z
    .string({ error: required })
    .trim()
    .normalize('NFC')
    .refine((value) => !(multiline ? CONTROL_EXCEPT_NEWLINES : CONTROL_CHARACTERS).test(value), 'Remove control characters.')
    .refine((value) => [...value].length <= max, `Use at most ${max} characters.`);
}

/** An optional field where an empty string or null clears the value. */
function clearable<T extends z.ZodType<string, string>>(field: T) {
  return z
    .union([z.null(), field])
    .transform((value) => (value === null || value === '' ? null : value))
    .optional();
}

const name = cleanText(LIMITS.name, { required: 'Enter a name.' }).pipe(z.string().min(1, 'Enter a name.'));
const email = z
  .string()
  .trim()
  .pipe(z.union([z.literal(''), z.email('Enter a valid email address.').max(LIMITS.email, `Use at most ${LIMITS.email} characters.`)]));
const phone = cleanText(LIMITS.phone).pipe(z.string().regex(/^$|^[0-9+()./\s-]+$/, 'Use digits, spaces and + ( ) - . / only.'));
const company = cleanText(LIMITS.company);
const notes = cleanText(LIMITS.notes, { multiline: true });
export const tagSchema = cleanText(LIMITS.tag)
  .toLowerCase()
  .pipe(z.string().min(1, 'Tags cannot be empty.'));
const tags = z
  .array(tagSchema)
  .max(LIMITS.tags, `Use at most ${LIMITS.tags} tags.`)
  .transform((values) => [...new Set(values)]);

/**
 * Strict: `id`, `ownerId` and timestamps are not fields a client may set, and an unknown key is
 * refused rather than silently dropped (mass assignment).
 */
export const contactCreateInput = z.strictObject({
  name,
  email: clearable(email),
  phone: clearable(phone),
  company: clearable(company),
  tags: tags.optional(),
  notes: clearable(notes),
});

export const contactIdInput = z.strictObject({ id: z.uuid('Not a valid contact id.') });

export const contactUpdateInput = z.strictObject({
  id: z.uuid('Not a valid contact id.'),
  name: name.optional(),
  email: clearable(email),
  phone: clearable(phone),
  company: clearable(company),
  tags: tags.optional(),
  notes: clearable(notes),
});

export const contactOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  company: z.string().nullable(),
  tags: z.array(z.string()),
  notes: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export type ContactCreate = z.infer<typeof contactCreateInput>;
export type ContactUpdate = z.infer<typeof contactUpdateInput>;
export type ContactDto = z.infer<typeof contactOutput>;

export const deleteManyInput = z.strictObject({
  ids: z
    .array(z.uuid('Not a valid contact id.'))
    .min(1, 'Select at least one contact.')
    .max(1000, 'Delete at most 1000 contacts at once.')
    .transform((ids) => [...new Set(ids)]),
});
export const deleteManyOutput = z.object({ deleted: z.number().int().min(0) });

export const tagManyInput = z
  .strictObject({
    ids: z
      .array(z.uuid('Not a valid contact id.'))
      .min(1, 'Select at least one contact.')
      .max(1000, 'Tag at most 1000 contacts at once.')
      .transform((ids) => [...new Set(ids)]),
    add: z.array(tagSchema).max(LIMITS.tags, `Use at most ${LIMITS.tags} tags.`).default([]),
    remove: z.array(tagSchema).max(LIMITS.tags, `Use at most ${LIMITS.tags} tags.`).default([]),
  })
  .refine((input) => input.add.length + input.remove.length > 0, { message: 'Name a tag to add or remove.', path: ['add'] });

/** `skipped`: selected contacts left alone because they would have more than the tag limit. */
export const tagManyOutput = z.object({ updated: z.number().int().min(0), skipped: z.number().int().min(0) });
