import { z } from 'zod';
import { cleanText, contactOutput, tagSchema } from './contact.schema.ts';

export const SORTS = ['name', 'createdAt', 'updatedAt'] as const;
export const SEARCH_MAX = 100;

export const listInput = z.strictObject({
  cursor: z.string().max(512).optional(),
  limit: z.number().int().min(1).max(100).default(20),
  /** Case-insensitive substring of name, email or company; wildcards match literally. */
  search: cleanText(SEARCH_MAX)
    .optional()
    .transform((value) => value || undefined),
  tag: tagSchema.optional(),
  sort: z.enum(SORTS).default('createdAt'),
  /** Defaults to A→Z for names and newest first for dates. */
  direction: z.enum(['asc', 'desc']).optional(),
});

export type ListInput = z.infer<typeof listInput>;

export const listOutput = z.object({
  items: z.array(contactOutput),
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
