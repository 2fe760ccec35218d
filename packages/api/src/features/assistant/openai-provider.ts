import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AppConfig } from '../../config/index.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { UpstreamError, type ChatProvider, type ChatRequest, type StreamEvent, type TokenUsage } from './provider.ts';

const usageSchema = z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() });

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
  usage: usageSchema,
});

const chunkSchema = z.object({
  choices: z.array(z.object({ delta: z.object({ content: z.string().nullish() }).optional() })).optional(),
  usage: usageSchema.nullish(),
});

/** undici's refusal of a 3xx under `redirect: 'error'`. */
function isRedirectRefusal(error: unknown): boolean {
  return error instanceof TypeError && error.cause instanceof Error && error.cause.message === 'unexpected redirect';
}

const toUsage = (usage: z.infer<typeof usageSchema>): TokenUsage => ({ promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens });

export interface OpenAiProviderOptions {
  config: AppConfig['assistant'];
  onBreakerStateChange?: (state: 'closed' | 'open' | 'half_open') => void;
}

/**
 * An OpenAI-compatible chat-completions client (OpenAI, OpenRouter-style gateways, local servers):
 * a timeout per attempt, retries with exponential backoff and full jitter on 429/5xx/connection
 * failures, and a circuit breaker that fails fast while the upstream is down. Error bodies are
 * never read; redirects are refused (the key goes to AI_BASE_URL and nowhere else).
 */
export function createOpenAiProvider({ config, onBreakerStateChange }: OpenAiProviderOptions): ChatProvider {
  const endpoint = `${(config.baseUrl ?? '').replace(/\/+$/, '')}/chat/completions`;
  const breaker = new CircuitBreaker({ threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownMs, onStateChange: onBreakerStateChange });
  const countsAsFailure = (error: unknown) => error instanceof UpstreamError && error.kind !== 'rejected';

  /** One attempt: a response with a 2xx status, or an UpstreamError. */
  async function attempt(request: ChatRequest, stream: boolean, signal: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${config.apiKey ?? ''}`, accept: stream ? 'text/event-stream' : 'application/json' },
        body: JSON.stringify({
          model: request.model,
          messages: request.messages,
          max_tokens: request.maxTokens,
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        }),
        signal,
        // A 307/308 would re-send the prompt and the bearer key to wherever the upstream points.
        redirect: 'error',
      });
    } catch (error) {
      if (signal.aborted) throw new UpstreamError('timeout');
      // A redirect is the upstream's configuration, not a transient failure: not retried.
      throw isRedirectRefusal(error) ? new UpstreamError('rejected') : new UpstreamError('unreachable');
    }
    if (response.ok) return response;
    await response.body?.cancel().catch(() => {});
    throw new UpstreamError(response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'server_error' : 'rejected', response.status);
  }

  /** Attempts with retries, inside the breaker; `use` consumes the response within the same timeout. */
  function call<T>(request: ChatRequest, stream: boolean, outer: AbortSignal | undefined, use: (response: Response, signal: AbortSignal) => Promise<T>): Promise<T> {
    return breaker.run(async () => {
      for (let attemptNo = 0; ; attemptNo++) {
        const timeout = AbortSignal.timeout(config.timeoutMs);
        const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
        try {
          return await use(await attempt(request, stream, signal), signal);
        } catch (error) {
          const upstream = error instanceof UpstreamError ? error : new UpstreamError(signal.aborted ? 'timeout' : 'malformed');
          if (!upstream.retryable || attemptNo >= config.maxRetries || outer?.aborted) throw upstream;
          await sleep(Math.random() * config.retryBaseMs * 2 ** attemptNo);
        }
      }
    }, countsAsFailure);
  }

  return {
    name: 'openai',
    async complete(request, signal) {
      return call(request, false, signal, async (response) => {
        let body: unknown;
        try {
          body = await response.json();
        } catch (error) {
          if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) throw new UpstreamError('timeout');
          throw new UpstreamError('malformed');
        }
        const parsed = completionSchema.safeParse(body);
        if (!parsed.success) throw new UpstreamError('malformed');
        return { content: parsed.data.choices[0]?.message.content ?? '', usage: toUsage(parsed.data.usage) };
      });
    },
    async *stream(request, signal): AsyncIterable<StreamEvent> {
      // Retries and the breaker cover getting a stream; a stream that breaks midway is not retried
      // (the client has already shown part of the answer).
      const { response, streamSignal } = await call(request, true, signal, async (response, streamSignal) => ({ response, streamSignal }));
      if (!response.body) throw new UpstreamError('malformed');
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (!line.startsWith('data:')) continue;
            const data = line.slice(5).trim();
            if (data === '[DONE]') return;
            let chunk: z.infer<typeof chunkSchema>;
            try {
              chunk = chunkSchema.parse(JSON.parse(data));
            } catch {
              throw new UpstreamError('malformed');
            }
            const content = chunk.choices?.[0]?.delta?.content;
            if (content) yield { type: 'delta', content };
            if (chunk.usage) yield { type: 'usage', usage: toUsage(chunk.usage) };
          }
        }
      } catch (error) {
        if (error instanceof UpstreamError) throw error;
        throw new UpstreamError(streamSignal.aborted ? 'timeout' : 'unreachable');
      } finally {
        await reader.cancel().catch(() => {});
      }
      throw new UpstreamError('malformed'); // ended without [DONE]
    },
  };
}
