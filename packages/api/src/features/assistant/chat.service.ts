import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AuthState } from '../auth/guards.ts';
import type { ChatInput, ChatOutput, ChatStreamEvent } from './chat.schema.ts';
import { MAX_CONTEXT_MESSAGES, recentMessages, saveExchange } from './conversations.service.ts';
import { UpstreamError, type ChatMessage, type ChatRequest, type TokenUsage } from './provider.ts';
import { reconcileTokens, reserveTokens, type Reservation } from './token-budget.ts';
import { estimatePromptTokens, estimateTextTokens } from './tokens.ts';

type AssistantContext = Context & { auth: AuthState };

interface Prepared {
  request: ChatRequest;
  reservation: Reservation;
}

/** Checks the model, assembles the context and reserves the worst case of the budget. */
async function prepare(ctx: AssistantContext, input: ChatInput): Promise<Prepared> {
  const { models, defaultMaxTokens } = ctx.config.assistant;
  if (!models.includes(input.model)) {
    throw new AppError('BAD_REQUEST', 'model_not_allowed', 'This model is not available.', { fieldErrors: { model: ['This model is not available.'] } });
  }
  const history = input.conversationId ? await recentMessages(ctx, ctx.auth.userId, input.conversationId, MAX_CONTEXT_MESSAGES - input.messages.length) : [];
  const messages: ChatMessage[] = [...history, ...input.messages];
  const maxTokens = input.maxTokens ?? defaultMaxTokens;
  const reservation = await reserveTokens(ctx, ctx.auth.userId, estimatePromptTokens(messages) + maxTokens);
  return { request: { model: input.model, messages, maxTokens }, reservation };
}

/** The stable error a client sees; the upstream's own status and body stay here. */
function toClientError(error: UpstreamError): AppError {
  switch (error.kind) {
    case 'timeout':
      return new AppError('GATEWAY_TIMEOUT', 'assistant_timeout', 'The assistant took too long to answer. Try again.');
    case 'circuit_open':
      return new AppError('SERVICE_UNAVAILABLE', 'assistant_unavailable', 'The assistant is unavailable right now. Try again in a minute.');
    case 'rate_limited':
      return new AppError('SERVICE_UNAVAILABLE', 'assistant_busy', 'The assistant is busy. Try again in a minute.');
    default:
      return new AppError('BAD_GATEWAY', 'assistant_upstream_error', 'The assistant could not answer. Try again.');
  }
}

/** Times a provider call, counts its tokens and maps its failure; always reconciles the budget. */
async function guarded<T>(
  ctx: AssistantContext,
  prepared: Prepared,
  mode: 'chat' | 'stream',
  run: (progress: { produced: string }) => Promise<{ value: T; usage: TokenUsage | undefined }>,
): Promise<{ value: T; usage: TokenUsage }> {
  const { provider, metrics } = ctx.assistant;
  const stopTimer = metrics.latency.startTimer({ provider: provider.name, mode });
  const progress = { produced: '' };
  const estimated = () => ({ promptTokens: estimatePromptTokens(prepared.request.messages), completionTokens: estimateTextTokens(progress.produced) });
  let charged: number | undefined;
  try {
    const result = await run(progress);
    stopTimer({ outcome: 'ok' });
    const usage = result.usage ?? estimated();
    metrics.tokens.inc({ type: 'prompt' }, usage.promptTokens);
    metrics.tokens.inc({ type: 'completion' }, usage.completionTokens);
    charged = usage.promptTokens + usage.completionTokens;
    return { value: result.value, usage };
  } catch (error) {
    if (!(error instanceof UpstreamError)) {
      stopTimer({ outcome: 'error' });
      throw error;
    }
    stopTimer({ outcome: error.kind });
    metrics.errors.inc({ kind: error.kind });
    ctx.log.warn({ upstreamError: error.kind, upstreamStatus: error.status }, 'assistant upstream call failed');
    throw toClientError(error);
  } finally {
    // The real usage is charged; a call that failed (or was abandoned) is charged for what it had
    // produced, so disconnecting mid-stream does not make the tokens free.
    if (charged === undefined) {
      const partial = estimated();
      charged = progress.produced ? partial.promptTokens + partial.completionTokens : 0;
    }
    await reconcileTokens(ctx, prepared.reservation, charged);
  }
}

export async function chat(ctx: AssistantContext, input: ChatInput, signal?: AbortSignal): Promise<ChatOutput> {
  const prepared = await prepare(ctx, input);
  const { value, usage } = await guarded(ctx, prepared, 'chat', async (progress) => {
    const result = await ctx.assistant.provider.complete(prepared.request, signal);
    progress.produced = result.content;
    return { value: result.content, usage: result.usage };
  });
  const conversationId = await saveExchange(ctx, { ownerId: ctx.auth.userId, conversationId: input.conversationId, model: input.model, sent: input.messages, reply: value });
  return { conversationId, message: { role: 'assistant', content: value }, usage };
}

/**
 * The same as `chat`, yielding the reply as it arrives. The budget is reconciled however the
 * stream ends, also when the client goes away midway.
 */
export async function* chatStream(ctx: AssistantContext, input: ChatInput, signal?: AbortSignal): AsyncGenerator<ChatStreamEvent> {
  const prepared = await prepare(ctx, input);
  const deltas: string[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  // The provider's stream is pumped inside `guarded` (which reconciles when it ends) while this
  // generator hands each delta on to the client.
  const done = guarded(ctx, prepared, 'stream', async (progress) => {
    let usage: TokenUsage | undefined;
    try {
      for await (const event of ctx.assistant.provider.stream(prepared.request, signal)) {
        if (event.type === 'usage') usage = event.usage;
        else {
          progress.produced += event.content;
          deltas.push(event.content);
          wake?.();
        }
      }
    } finally {
      finished = true;
      wake?.();
    }
    return { value: progress.produced, usage };
  });
  void done.catch(() => {});
  while (!finished || deltas.length > 0) {
    const next = deltas.shift();
    if (next !== undefined) {
      yield { type: 'delta', content: next };
      continue;
    }
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  const { value, usage } = await done;
  const conversationId = await saveExchange(ctx, { ownerId: ctx.auth.userId, conversationId: input.conversationId, model: input.model, sent: input.messages, reply: value });
  yield { type: 'done', conversationId, message: { role: 'assistant', content: value }, usage };
}
