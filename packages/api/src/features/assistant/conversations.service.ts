import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { ChatMessage, TokenUsage } from './provider.ts';
import { completeRequest } from './request-ids.ts';

const { assistantConversations: conversations, assistantMessages: messages } = schema;

type DbContext = Pick<Context, 'db'>;

const LIST_LIMIT = 100;
/** Stored messages sent back upstream when a conversation continues (the input's cap). */
export const MAX_CONTEXT_MESSAGES = 50;

const summaryColumns = {
  id: conversations.id,
  title: conversations.title,
  model: conversations.model,
  createdAt: conversations.createdAt,
  updatedAt: conversations.updatedAt,
};

type SummaryRow = { id: string; title: string; model: string; createdAt: Date; updatedAt: Date };

const toSummary = (row: SummaryRow) => ({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() });

const notFound = () => new AppError('NOT_FOUND', 'conversation_not_found', 'This conversation does not exist.');

export async function listConversations(ctx: DbContext, ownerId: string) {
  const rows = await ctx.db
    .select(summaryColumns)
    .from(conversations)
    .where(eq(conversations.ownerId, ownerId))
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(LIST_LIMIT);
  return rows.map(toSummary);
}

export async function getConversation(ctx: DbContext, ownerId: string, id: string) {
  const [row] = await ctx.db
    .select(summaryColumns)
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
    .limit(1);
  if (!row) throw notFound();
  const history = await ctx.db
    .select({ role: messages.role, content: messages.content, createdAt: messages.createdAt })
    .from(messages)
    .where(and(eq(messages.conversationId, id), eq(messages.ownerId, ownerId)))
    .orderBy(asc(messages.createdAt), asc(messages.id));
  return { ...toSummary(row), messages: history.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })) };
}

/** The last `limit` messages of an owned conversation, oldest first. */
export async function recentMessages(ctx: DbContext, ownerId: string, id: string, limit: number): Promise<ChatMessage[]> {
  const [row] = await ctx.db
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
    .limit(1);
  if (!row) throw notFound();
  if (limit <= 0) return [];
  const rows = await ctx.db
    .select({ role: messages.role, content: messages.content })
    .from(messages)
    .where(and(eq(messages.conversationId, id), eq(messages.ownerId, ownerId)))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(limit);
  return rows.reverse();
}

export async function deleteConversation(ctx: DbContext, ownerId: string, id: string): Promise<void> {
  const deleted = await ctx.db
    .delete(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
    .returning({ id: conversations.id });
  if (deleted.length === 0) throw notFound();
}

/**
 * Stores one exchange: the new messages and the reply, creating the conversation if needed, and
 * completes the client's request id with it.
 */
export async function saveExchange(
  ctx: DbContext,
  options: { ownerId: string; conversationId: string | undefined; model: string; sent: ChatMessage[]; reply: string; requestId?: string; usage: TokenUsage },
): Promise<string> {
  return withTransaction(ctx.db, async (tx) => {
    let conversationId = options.conversationId;
    if (conversationId) {
      const updated = await tx
        .update(conversations)
        .set({ updatedAt: sql`now()`, model: options.model })
        .where(and(eq(conversations.id, conversationId), eq(conversations.ownerId, options.ownerId)))
        .returning({ id: conversations.id });
      if (updated.length === 0) throw notFound();
    } else {
      const firstUser = options.sent.find((m) => m.role === 'user') ?? options.sent[0];
      const title = (firstUser?.content ?? 'Conversation').replace(/\s+/g, ' ').trim().slice(0, 80) || 'Conversation';
      const [created] = await tx.insert(conversations).values({ ownerId: options.ownerId, title, model: options.model }).returning({ id: conversations.id });
      if (!created) throw new Error('conversation insert returned no row');
      conversationId = created.id;
    }
    // Distinct timestamps keep the order of one exchange stable.
    const base = Date.now();
    const rows = [...options.sent, { role: 'assistant' as const, content: options.reply }].map((m, i) => ({
      conversationId: conversationId as string,
      ownerId: options.ownerId,
      role: m.role,
      content: m.content,
      createdAt: new Date(base + i),
    }));
    await tx.insert(messages).values(rows);
    if (options.requestId) {
      await completeRequest(tx, { ownerId: options.ownerId, requestId: options.requestId, conversationId, reply: options.reply, usage: options.usage });
    }
    return conversationId;
  });
}
