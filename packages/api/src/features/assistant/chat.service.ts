import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AuthState } from '../auth/guards.ts';
import type { ChatInput, ChatOutput, ChatStreamEvent } from './chat.schema.ts';
import { MAX_CONTEXT_MESSAGES, recentMessages, saveExchange } from './conversations.service.ts';
import { detached } from './detached.ts';
import { UpstreamError, type ChatMessage, type ChatRequest, type TokenUsage } from './provider.ts';
import { claimRequest, inputHash, releaseRequest, requestInProgress } from './request-ids.ts';
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

/**
 * Follows one provider call: times it, counts its tokens, maps its failure to a client error and,
 * in `settle` (always called), replaces the budget reservation by what the call really used.
 */
function trackCall(ctx: AssistantContext, prepared: Prepared, mode: 'chat' | 'stream') {
  const { provider, metrics } = ctx.assistant;
  const stopTimer = metrics.latency.startTimer({ provider: provider.name, mode });
  /** The reply so far: what a failed or abandoned call is charged for. */
  let produced = '';
  let charged: number | undefined;
  const estimated = (): TokenUsage => ({ promptTokens: estimatePromptTokens(prepared.request.messages), completionTokens: estimateTextTokens(produced) });
  return {
    produced(text: string) {
      produced += text;
    },
    succeeded(reported: TokenUsage | undefined): TokenUsage {
      stopTimer({ outcome: 'ok' });
      const usage = reported ?? estimated();
      metrics.tokens.inc({ type: 'prompt' }, usage.promptTokens);
      metrics.tokens.inc({ type: 'completion' }, usage.completionTokens);
      charged = usage.promptTokens + usage.completionTokens;
      return usage;
    },
    failed(error: unknown): unknown {
      if (!(error instanceof UpstreamError)) {
        stopTimer({ outcome: 'error' });
        return error;
      }
      stopTimer({ outcome: error.kind });
      metrics.errors.inc({ kind: error.kind });
      ctx.log.warn({ upstreamError: error.kind, upstreamStatus: error.status }, 'assistant upstream call failed');
      return toClientError(error);
    },
    async settle() {
      // Disconnecting mid-stream does not make the tokens already produced free.
      if (charged === undefined) {
        const partial = estimated();
        charged = produced ? partial.promptTokens + partial.completionTokens : 0;
      }
      await reconcileTokens(ctx, prepared.reservation, charged);
    },
  };
}

async function callChat(ctx: AssistantContext, input: ChatInput, signal?: AbortSignal): Promise<ChatOutput> {
  const prepared = await prepare(ctx, input);
  const call = trackCall(ctx, prepared, 'chat');
  let reply: string;
  let usage: TokenUsage;
  try {
    const result = await ctx.assistant.provider.complete(prepared.request, signal);
    call.produced(result.content);
    reply = result.content;
    usage = call.succeeded(result.usage);
  } catch (error) {
    throw call.failed(error);
  } finally {
    await call.settle();
  }
  const conversationId = await saveExchange(ctx, { ownerId: ctx.auth.userId, conversationId: input.conversationId, model: input.model, sent: input.messages, reply, requestId: input.requestId, usage });
  return { conversationId, message: { role: 'assistant', content: reply }, usage };
}

async function* streamCall(ctx: AssistantContext, input: ChatInput, signal?: AbortSignal): AsyncGenerator<ChatStreamEvent> {
  const prepared = await prepare(ctx, input);
  const call = trackCall(ctx, prepared, 'stream');
  let reply = '';
  let usage: TokenUsage;
  try {
    let reported: TokenUsage | undefined;
    for await (const event of ctx.assistant.provider.stream(prepared.request, signal)) {
      if (event.type === 'usage') {
        reported = event.usage;
        continue;
      }
      call.produced(event.content);
      reply += event.content;
      yield { type: 'delta', content: event.content };
    }
    usage = call.succeeded(reported);
  } catch (error) {
    throw call.failed(error);
  } finally {
    await call.settle();
  }
  const conversationId = await saveExchange(ctx, { ownerId: ctx.auth.userId, conversationId: input.conversationId, model: input.model, sent: input.messages, reply, requestId: input.requestId, usage });
  yield { type: 'done', conversationId, message: { role: 'assistant', content: reply }, usage };
}

/** Runs the claimed call; if it fails, the request id is given back so the client can retry it. */
async function* releasedOnFailure<T>(ctx: AssistantContext, requestId: string, run: () => AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* run();
  } catch (error) {
    await releaseRequest(ctx, ctx.auth.userId, requestId);
    throw error;
  }
}

/**
 * With a `requestId`, the call is idempotent: the first call claims the id and runs to its end even
 * if the client goes away (so a retry finds the answer); a replay returns the stored answer or,
 * while the first call still runs, CONFLICT `request_in_progress`.
 */
export async function chat(ctx: AssistantContext, input: ChatInput, signal?: AbortSignal): Promise<ChatOutput> {
  const { requestId } = input;
  if (!requestId) return callChat(ctx, input, signal);
  const claim = await claimRequest(ctx, ctx.auth.userId, requestId, inputHash(input));
  if (claim === 'in_progress') throw requestInProgress();
  if (claim !== 'claimed') return claim;
  try {
    return await callChat(ctx, input);
  } catch (error) {
    await releaseRequest(ctx, ctx.auth.userId, requestId);
    throw error;
  }
}

const REPLAY_POLL_MS = 100;

/**
 * The same as `chat`, yielding the reply as it arrives. The budget is settled however the stream
 * ends, also when the client goes away midway (the generator is returned early).
 *
 * With a `requestId`, the first call claims it and runs to its end even if the connection drops;
 * a replay (the EventSource reconnecting) waits up to the first call's worst-case duration for it
 * to complete and then streams the stored reply as one delta plus done, without an upstream call.
 */
export async function* chatStream(ctx: AssistantContext, input: ChatInput, signal?: AbortSignal): AsyncGenerator<ChatStreamEvent> {
  const { requestId } = input;
  if (!requestId) {
    yield* streamCall(ctx, input, signal);
    return;
  }
  const hash = inputHash(input);
  const { timeoutMs, maxRetries, retryBaseMs } = ctx.config.assistant;
  const waitUntil = Date.now() + (timeoutMs + retryBaseMs * 2 ** maxRetries) * (maxRetries + 1);
  let claim = await claimRequest(ctx, ctx.auth.userId, requestId, hash);
  while (claim === 'in_progress' && Date.now() < waitUntil) {
    await sleep(REPLAY_POLL_MS);
    if (signal?.aborted) return;
    claim = await claimRequest(ctx, ctx.auth.userId, requestId, hash);
  }
  if (claim === 'in_progress') throw requestInProgress();
  if (claim === 'claimed') {
    yield* detached(releasedOnFailure(ctx, requestId, () => streamCall(ctx, input)));
    return;
  }
  yield { type: 'delta', content: claim.message.content };
  yield { type: 'done', ...claim };
}
