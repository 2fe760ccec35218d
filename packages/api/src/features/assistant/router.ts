import { asyncIterableOf } from '../../lib/async-iterable-output.ts';
import { noInput } from '../../no-input.ts';
import { router, verifiedProcedure } from '../../trpc.ts';
import { chatInput, chatOutput, chatStreamEvent } from './chat.schema.ts';
import { chat, chatStream } from './chat.service.ts';
import { conversationIdInput, deleteConversationOutput, getConversationOutput, listConversationsOutput } from './conversations.schema.ts';
import { deleteConversation, getConversation, listConversations } from './conversations.service.ts';
import { tokensUsedToday } from './token-budget.ts';
import { modelsOutput, usageOutput } from './usage.schema.ts';

export const assistantRouter = router({
  chat: verifiedProcedure
    .meta({ rateLimit: 'assistant.expensive', scopes: ['assistant:use'], openapi: { method: 'POST', path: '/assistant/chat', tags: ['assistant'], summary: 'Send messages, get the whole answer (the streaming form is tRPC-only)' } })
    .input(chatInput)
    .output(chatOutput)
    .mutation(({ ctx, input, signal }) => chat(ctx, input, signal)),

  chatStream: verifiedProcedure
    .meta({ rateLimit: 'assistant.expensive', scopes: ['assistant:use'] })
    .input(chatInput)
    .output(asyncIterableOf(chatStreamEvent))
    .subscription(({ ctx, input, signal }) => chatStream(ctx, input, signal)),

  models: verifiedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['assistant:use'], openapi: { method: 'GET', path: '/assistant/models', tags: ['assistant'], summary: 'The models you may use' } })
    .input(noInput)
    .output(modelsOutput)
    .query(({ ctx }) => ({ models: ctx.config.assistant.models, provider: ctx.assistant.provider.name })),

  usage: verifiedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['assistant:use'], openapi: { method: 'GET', path: '/assistant/usage', tags: ['assistant'], summary: 'Your remaining requests and tokens' } })
    .input(noInput)
    .output(usageOutput)
    .query(async ({ ctx }) => {
      const budget = ctx.config.assistant.dailyTokenBudget;
      const [requests, used] = await Promise.all([ctx.rateLimiters.peek('assistant.expensive', `user:${ctx.auth.userId}`), tokensUsedToday(ctx, ctx.auth.userId)]);
      return { requestsRemainingThisMinute: requests.remaining, tokensRemainingToday: Math.max(budget - used, 0), tokenBudgetPerDay: budget };
    }),

  conversations: router({
    list: verifiedProcedure
      .meta({ rateLimit: 'user.default', scopes: ['assistant:use'] })
      .input(noInput)
      .output(listConversationsOutput)
      .query(async ({ ctx }) => ({ conversations: await listConversations(ctx, ctx.auth.userId) })),

    get: verifiedProcedure
      .meta({ rateLimit: 'user.default', scopes: ['assistant:use'] })
      .input(conversationIdInput)
      .output(getConversationOutput)
      .query(async ({ ctx, input }) => ({ conversation: await getConversation(ctx, ctx.auth.userId, input.id) })),

    delete: verifiedProcedure
      .meta({ rateLimit: 'user.default', scopes: ['assistant:use'] })
      .input(conversationIdInput)
      .output(deleteConversationOutput)
      .mutation(async ({ ctx, input }) => {
        await deleteConversation(ctx, ctx.auth.userId, input.id);
        return { success: true as const };
      }),
  }),
});
