import { schema, withTransaction, type Database, type Transaction } from '@bastion/db';
import { verifyWebhook, WebhookVerificationError, type VerifiedWebhook } from './verify.ts';

export interface IncomingWebhook {
  /** Which receiver inside Bastion (e.g. `oauth:google`): webhook ids are unique per sender only. */
  receiver: string;
  /** The sender's current secrets (more than one during its rotation). */
  secrets: readonly string[];
  /** The request body exactly as received (`express.raw()`), never re-serialized JSON. */
  rawBody: Buffer | string;
  headers: Headers | Record<string, string | string[] | undefined>;
}

export type ReceiveOutcome =
  | { status: 200; duplicate: boolean }
  | { status: 400 | 401; reason: WebhookVerificationError['reason'] };

/**
 * The one way receivers inside Bastion accept a webhook: verify it, then record its `webhook-id`
 * in `webhook_receipts` and run `handle` in the same transaction. A repeated id (senders deliver
 * at least once) is answered 200 without running `handle`; a `handle` that throws rolls the
 * receipt back, so the sender's retry is processed.
 */
export async function receiveWebhook(
  db: Database,
  incoming: IncomingWebhook,
  handle: (webhook: VerifiedWebhook, tx: Transaction) => Promise<void>,
  now = Date.now(),
): Promise<ReceiveOutcome> {
  let webhook: VerifiedWebhook;
  try {
    webhook = verifyWebhook(incoming.rawBody, incoming.headers, incoming.secrets, now);
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    return { status: error.reason === 'bad_signature' || error.reason === 'timestamp_out_of_tolerance' ? 401 : 400, reason: error.reason };
  }
  return withTransaction(db, async (tx) => {
    const [receipt] = await tx
      .insert(schema.webhookReceipts)
      .values({ receiver: incoming.receiver, webhookId: webhook.id })
      .onConflictDoNothing()
      .returning({ webhookId: schema.webhookReceipts.webhookId });
    if (!receipt) return { status: 200 as const, duplicate: true };
    await handle(webhook, tx);
    return { status: 200 as const, duplicate: false };
  });
}
