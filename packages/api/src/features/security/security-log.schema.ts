import { z } from 'zod';

export const securityLogInput = z
  .object({
    /** Opaque: the `nextCursor` of the previous page. */
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .optional();

export const securityEventOutput = z.object({
  id: z.uuid(),
  type: z.string().regex(/^[a-z][a-z0-9_]*$/),
  createdAt: z.iso.datetime(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  device: z.string(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

export const securityLogOutput = z.object({
  items: z.array(securityEventOutput),
  nextCursor: z.string().nullable(),
});
