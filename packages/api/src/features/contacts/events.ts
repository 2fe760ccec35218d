import { schema, type Transaction } from '@bastion/db';
import type { ContactDto } from './contact.schema.ts';

export type ContactEvent =
  | { type: 'contact.created'; contact: ContactDto }
  | { type: 'contact.updated'; contact: ContactDto; changed: string[] }
  | { type: 'contact.deleted'; id: string };

function toRow(ownerId: string, event: ContactEvent): typeof schema.outboxEvents.$inferInsert {
  const aggregateId = event.type === 'contact.deleted' ? event.id : event.contact.id;
  const { type, ...payload } = event;
  return { type, aggregateId, ownerId, payload };
}

/**
 * Appends events to the transactional outbox inside the caller's transaction: they exist exactly
 * when the change they describe was committed. One statement for any number of events.
 */
export async function recordContactEvents(tx: Transaction, ownerId: string, events: ContactEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(schema.outboxEvents).values(events.map((event) => toRow(ownerId, event)));
}
