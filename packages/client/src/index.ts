import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter, ErrorShape, RouterInputs, RouterOutputs } from '@bastion/api';
import { jsonOnlyFetch } from './fetch.ts';
import { resilienceLink } from './resilience-link.ts';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';

export type { AppRouter, RouterInputs, RouterOutputs };
export { BastionError, isBastionError, type BastionErrorCode } from './errors.ts';
export { callOptions, type BastionCallContext } from './resilience-link.ts';
export { RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';
export { REQUEST_ID_PATTERN } from './request-id.ts';

type Credential = string | (() => string | undefined | Promise<string | undefined>);

interface CommonOptions {
  /** The API's base URL, e.g. `https://api.example.com` (the client appends `/trpc`). */
  baseUrl: string;
  /** Deadline of one call, every retry and wait included (default 10 000); per call: `context.timeoutMs`. */
  timeoutMs?: number;
  /** Retries of a failed query (default 3; 0 = none). Mutations are never retried. Per call: `context.retries`. */
  retries?: number;
  /** Full-jitter exponential backoff: the n-th retry waits uniformly in [0, min(maxMs, baseMs·2ⁿ⁻¹)] (defaults 200, 5 000). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** A longer `Retry-After` is not waited for: the call fails with `retryAfterSeconds` (default 30 000). */
  maxRetryAfterMs?: number;
  /** Retries across all calls of this client: a budget, or its options (default ratio 0.1, floor 10). */
  retryBudget?: RetryBudget | RetryBudgetOptions;
  /** Extra headers on every request (`x-request-id` and `authorization` are set by the client: use `callOptions({ requestId })`). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  fetch?: typeof fetch;
}

/**
 * Exactly one credential (or none, for public procedures): an API key (`bst_<prefix>_<secret>`)
 * for a service, or a user's access token (a JWT, or a function returning the current one).
 * Both travel as `Authorization: Bearer …`.
 */
export type BastionClientOptions = CommonOptions &
  ({ apiKey: string; accessToken?: never } | { accessToken?: Credential; apiKey?: never });

/**
 * The fully typed vanilla tRPC client for Node services (types only come from the API package).
 * No batching: one HTTP request per call, so a failure, its status and its `Retry-After` belong
 * to exactly one call, and a retried query can never resend a mutation batched with it (ADR 065).
 */
export function createBastionClient(options: BastionClientOptions) {
  if (options.apiKey !== undefined && !options.apiKey.startsWith('bst_')) {
    throw new TypeError('apiKey must be a Bastion API key (bst_…); pass a user access token as accessToken');
  }
  const url = `${options.baseUrl.replace(/\/$/, '')}/trpc`;
  const credential: Credential | undefined = options.apiKey ?? options.accessToken;
  const budget = options.retryBudget instanceof RetryBudget ? options.retryBudget : new RetryBudget(options.retryBudget);
  const terminal = httpLink<AppRouter>({
    url,
    fetch: jsonOnlyFetch(options.fetch ?? globalThis.fetch),
    headers: async ({ op }) => {
      const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
      const token = typeof credential === 'function' ? await credential() : credential;
      return {
        ...extra,
        // Set by the resilience link for every call; the same id on each retry of that call.
        'x-request-id': String(op.context.requestId),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      };
    },
  });
  return createTRPCClient<AppRouter>({
    links: [
      resilienceLink({
        timeoutMs: options.timeoutMs ?? 10_000,
        retries: options.retries ?? 3,
        backoff: { baseMs: options.backoff?.baseMs ?? 200, maxMs: options.backoff?.maxMs ?? 5_000 },
        maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
        budget,
      }),
      terminal,
    ],
  });
}

export type BastionClient = ReturnType<typeof createBastionClient>;

/** The typed error data (`reason`, `requestId`, `fieldErrors`) of a failed call, if the server answered. */
export function errorDataOf(error: unknown): ErrorShape['data'] | undefined {
  return error instanceof TRPCClientError ? (error.data as ErrorShape['data'] | undefined) : undefined;
}

export { TRPCClientError };
