import { z } from 'zod';

const filters = {
  actorId: z.string().min(1).max(100).optional(),
  subjectId: z.string().min(1).max(100).optional(),
  action: z.string().regex(/^[a-z_]+\.[a-z_]+$/).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
};

export const listAuditInput = z.object({ ...filters, cursor: z.string().regex(/^\d{1,18}$/).optional(), limit: z.number().int().min(1).max(200).default(50) });

export const exportAuditInput = z.object(filters);

export const auditEntry = z.object({
  seq: z.number().int(),
  at: z.iso.datetime(),
  actorType: z.enum(['user', 'system']),
  actorId: z.string(),
  action: z.string(),
  subjectId: z.string().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  hash: z.string(),
});

export const listAuditOutput = z.object({ items: z.array(auditEntry), nextCursor: z.string().nullable() });

export type AuditFilters = z.infer<typeof exportAuditInput>;
