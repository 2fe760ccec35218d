import { createHash } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { schema, type Transaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { ChatInput, ChatOutput } from './chat.schema.ts';
import type { TokenUsage } from './provider.ts';

const { assistantRequests: requests } = schema;

type DbContext = Pick<Context, 'db'>;

/** What identifies "the same input" for a replay: everything the call's answer depends on. */
export function inputHash(input: ChatInput): string {
  const canonical = JSON.stringify([input.model, input.messages.map((m) => [m.role, m.content]), input.maxTokens ?? null, input.conversationId ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}

export const requestInProgress = () => new AppError('CONFLICT', 'request_in_progress', 'This message is still being answered. Try again in a moment.');

/**
 * Claims (owner, request id) for this call with one insert: of concurrent duplicates exactly one
 * gets `claimed`. The others get the first call's stored answer, or `in_progress`; a different
 * input under the same id is refused.
 */
export async function claimRequest(ctx: DbContext, ownerId: string, requestId: string, hash: string): Promise<'claimed' | 'in_progress' | ChatOutput> {
  const claimed = await ctx.db.insert(requests).values({ ownerId, requestId, inputHash: hash }).onConflictDoNothing().returning({ requestId: requests.requestId });
  if (claimed.length > 0) return 'claimed';
  const [earlier] = await ctx.db
    .select({
      inputHash: requests.inputHash,
      conversationId: requests.conversationId,
      reply: requests.reply,
      promptTokens: requests.promptTokens,
      completionTokens: requests.completionTokens,
    })
    .from(requests)
    .where(and(eq(requests.ownerId, ownerId), eq(requests.requestId, requestId)))
    .limit(1);
  // Released by a failed first call in between: the caller polls or the client retries.
  if (!earlier) return 'in_progress';
  if (earlier.inputHash !== hash) throw new AppError('BAD_REQUEST', 'request_id_reused', 'This request id was already used for another message.');
  if (earlier.conversationId === null || earlier.reply === null) return 'in_progress';
  return {
    conversationId: earlier.conversationId,
    message: { role: 'assistant', content: earlier.reply },
    usage: { promptTokens: earlier.promptTokens ?? 0, completionTokens: earlier.completionTokens ?? 0 },
  };
}

/** A failed call gives its id back, so the client can retry it (it was charged what it produced). */
export async function releaseRequest(ctx: DbContext, ownerId: string, requestId: string): Promise<void> {
  await ctx.db.delete(requests).where(and(eq(requests.ownerId, ownerId), eq(requests.requestId, requestId), isNull(requests.completedAt)));
}

/** Stores the answer with the claim, in the transaction that stores the exchange. */
export async function completeRequest(tx: Transaction, options: { ownerId: string; requestId: string; conversationId: string; reply: string; usage: TokenUsage }) {
  await tx
    .update(requests)
    .set({
      conversationId: options.conversationId,
      reply: options.reply,
      promptTokens: options.usage.promptTokens,
      completionTokens: options.usage.completionTokens,
      completedAt: sql`now()`,
    })
    .where(and(eq(requests.ownerId, options.ownerId), eq(requests.requestId, options.requestId)));
}
