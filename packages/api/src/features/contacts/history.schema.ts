import { z } from 'zod';

export const HISTORY_MAX = 50;

export const historyInput = z.strictObject({
  id: z.uuid('Not a valid contact id.'),
  limit: z.number().int().min(1).max(HISTORY_MAX).default(20),
});

/** A change as the outbox recorded it; `changed` names the fields of an update. */
export const historyEntry = z.object({
  id: z.uuid(),
  type: z.enum(['contact.created', 'contact.updated', 'contact.deleted']),
  occurredAt: z.iso.datetime(),
  changed: z.array(z.string()).nullable(),
});

export const historyOutput = z.object({ items: z.array(historyEntry) });

export type HistoryEntry = z.infer<typeof historyEntry>;
