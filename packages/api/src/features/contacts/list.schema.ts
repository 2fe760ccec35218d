import { z } from 'zod';
import { cleanText, contactOutput, tagSchema } from './contact.schema.ts';

export const SORTS = ['name', 'createdAt', 'updatedAt'] as const;
export const SEARCH_MAX = 100;

export const listInput = z.strictObject({
  cursor: z.string().max(512).optional(),
  limit: z.number().int().min(1).max(100).default(20),
  /**
   * Case-insensitive substring of name, email or company; wildcards match literally. A term of
   * digits and phone punctuation also matches phone numbers by their digits.
   */
  search: cleanText(SEARCH_MAX)
    .optional()
    .transform((value) => value || undefined),
  tag: tagSchema.optional(),
  sort: z.enum(SORTS).default('createdAt'),
  /** Defaults to A→Z for names (ICU root collation: "Édith" with E) and newest first for dates. */
  direction: z.enum(['asc', 'desc']).optional(),
  /**
   * Count every match into `total` on the first page. Opt-in: the count is a second statement
   * about as costly as the page, which a caller paging through (a sync, an export) has no use for.
   */
  // A pipe, so REST's query string (`?includeTotal=true`) and tRPC's JSON boolean both parse.
  includeTotal: z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean()).optional(),
});

export type ListInput = z.infer<typeof listInput>;

export const listOutput = z.object({
  items: z.array(contactOutput),
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
  /**
   * How many contacts match the filters, on the first page (no cursor) only: counted with
   * `includeTotal`, or known anyway when the first page holds every match; null otherwise.
   */
  total: z.number().int().min(0).nullable(),
});

/** What an export selects: the list's filters and order, without paging. */
export const exportFilter = listInput.pick({ search: true, tag: true, sort: true, direction: true });
