import { TRPCClientError, type TRPCLink, type TRPCProcedureOptions } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { AppRouter } from '@bastion/api';
import { BastionError, responseOf, type ClientEnd } from './errors.ts';
import { REQUEST_ID_PATTERN, newRequestId } from './request-id.ts';
import { retryAfterMs } from './retry-after.ts';
import type { RetryBudget } from './retry-budget.ts';

/** Per-call options, passed as `{ context: { … } }` next to `signal` on any query or mutation. */
export type BastionCallContext = {
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** Overrides the client's `retries` for this call (queries only; mutations never retry). */
  retries?: number;
  /** The `x-request-id` to send (8–128 of `A–Z a–z 0–9 . _ : -`); generated when absent. */
  requestId?: string;
};

/**
 * Typed per-call options for any query or mutation (tRPC types `context` as a plain record):
 * `client.contacts.list.query(input, callOptions({ timeoutMs: 2_000, signal }))`.
 */
export function callOptions({ signal, ...context }: BastionCallContext & { signal?: AbortSignal }): TRPCProcedureOptions {
  return signal ? { signal, context } : { context };
}

export interface ResilienceOptions {
  timeoutMs: number;
  retries: number;
  backoff: { baseMs: number; maxMs: number };
  maxRetryAfterMs: number;
  budget: RetryBudget;
}

/** "Try again later": rate limited, or a proxy/gateway could not reach a healthy server. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/**
 * The client's one policy link, in front of the HTTP link: a request id per call, a deadline
 * per call (covering every attempt and every wait), the caller's AbortSignal, and retries of
 * queries only — a mutation is never sent twice, whatever the failure, because the client
 * cannot know whether the server acted on it. Every failure leaves as a BastionError.
 */
export function resilienceLink(options: ResilienceOptions): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) => {
      // Long-lived by design (and not carried by this client's httpLink): no deadline, no retries.
      if (op.type === 'subscription') return next(op);
      return observable((observer) => {
        const context = op.context as BastionCallContext;
        const timeoutMs = context.timeoutMs ?? options.timeoutMs;
        const maxRetries = op.type === 'query' ? (context.retries ?? options.retries) : 0;
        const requestId = context.requestId ?? newRequestId();
        const deadline = new AbortController();
        const signal = op.signal ? AbortSignal.any([op.signal, deadline.signal]) : deadline.signal;
        const startedAt = Date.now();
        let attempts = 0;
        let current: Unsubscribable | undefined;
        let wait: ReturnType<typeof setTimeout> | undefined;
        let waiting = false;
        let done = false;

        const timer = setTimeout(() => deadline.abort(), timeoutMs);
        const ended = (): ClientEnd => (deadline.signal.aborted ? 'timeout' : signal.aborted ? 'aborted' : null);
        const cleanup = () => {
          done = true;
          clearTimeout(timer);
          clearTimeout(wait);
          signal.removeEventListener('abort', onAbort);
        };
        const fail = (error: TRPCClientError<AppRouter>, refusal?: ClientEnd) => {
          if (done) return;
          cleanup();
          observer.error(new BastionError(error, { sentRequestId: requestId, attempts, timeoutMs, ended: refusal ?? ended() }));
        };
        // In flight, the aborted fetch reports the abort; between attempts nothing would: end the call here.
        function onAbort() {
          if (waiting) fail(new TRPCClientError('aborted'));
        }
        signal.addEventListener('abort', onAbort);

        function attempt() {
          waiting = false;
          attempts += 1;
          current = next({ ...op, signal, context: { ...op.context, requestId } }).subscribe({
            next: (envelope) => observer.next(envelope),
            complete: () => {
              cleanup();
              observer.complete();
            },
            error: (error) => {
              const remainingMs = timeoutMs - (Date.now() - startedAt);
              const delay = signal.aborted || attempts > maxRetries ? null : retryDelay(error, attempts, options, remainingMs);
              if (delay === null || !options.budget.withdraw()) return fail(error);
              waiting = true;
              wait = setTimeout(attempt, delay);
            },
          });
        }

        options.budget.deposit();
        if (REQUEST_ID_PATTERN.test(requestId)) {
          attempt();
        } else {
          // The server would replace it silently, and the caller's id would then be found nowhere.
          queueMicrotask(() => fail(new TRPCClientError('invalid request id'), 'invalid_request_id'));
        }
        return () => {
          cleanup();
          current?.unsubscribe();
        };
      });
    };
}

/**
 * The wait before the next attempt, or null when this failure must not be retried: anything but
 * a network error or 429/502/503/504, a `Retry-After` beyond the cap, or a wait that would end
 * after the call's deadline (better to fail now with `retryAfterSeconds` than to time out later).
 */
function retryDelay(error: TRPCClientError<AppRouter>, attempts: number, options: ResilienceOptions, remainingMs: number): number | null {
  const response = responseOf(error);
  // Without an HTTP answer (connection refused or reset, DNS, …) a query is retried; a
  // client-side abort or deadline never reaches here.
  if (response && !RETRYABLE_STATUS.has(response.status)) return null;
  let delay: number;
  const serverWait = response ? retryAfterMs(response.headers.get('retry-after')) : null;
  if (serverWait !== null) {
    if (serverWait > options.maxRetryAfterMs) return null;
    // Never earlier than asked; a little jitter so clients told the same second do not return together.
    delay = serverWait + Math.random() * options.backoff.baseMs;
  } else {
    // Exponential backoff with full jitter (uniform over [0, min(cap, base·2^n)]).
    delay = Math.random() * Math.min(options.backoff.maxMs, options.backoff.baseMs * 2 ** (attempts - 1));
  }
  return delay < remainingMs ? delay : null;
}
