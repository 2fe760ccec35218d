import { TRPCClientError } from '@trpc/client';
import type { AppRouter, ErrorData } from '@bastion/api';
import { retryAfterMs } from './retry-after.ts';

/** The server's tRPC codes, plus `NETWORK_ERROR` for a call that got no HTTP answer at all. */
export type BastionErrorCode = ErrorData['code'] | 'NETWORK_ERROR';

/** Thrown by the fetch wrapper for an HTTP answer that is not JSON (a proxy's 502 page, …). */
export class UnexpectedResponseError extends Error {
  readonly status: number;
  readonly headers: Headers;

  constructor(status: number, headers: Headers) {
    super(`unexpected HTTP ${status} response (not JSON)`);
    this.name = 'UnexpectedResponseError';
    this.status = status;
    this.headers = headers;
  }
}

/** Why the client itself ended (or refused to send) a call; null when the server or the network did. */
export type ClientEnd = 'timeout' | 'aborted' | 'invalid_request_id' | null;

export interface ErrorContext {
  /** The `x-request-id` the client sent: the fallback when no answer carried the server's. */
  sentRequestId: string;
  attempts: number;
  timeoutMs: number;
  ended: ClientEnd;
}

/**
 * Every failed call of a Bastion client rejects with this. It extends TRPCClientError, so
 * `error.data` (the server's error data) and `instanceof TRPCClientError` keep working.
 */
export class BastionError extends TRPCClientError<AppRouter> {
  /** The tRPC code (`BAD_REQUEST`, `UNAUTHORIZED`, …), `TIMEOUT` / `CLIENT_CLOSED_REQUEST` when the client ended the call, `NETWORK_ERROR` when nothing answered. */
  readonly code: BastionErrorCode;
  /** The HTTP status of the last answer; null when there was none. */
  readonly httpStatus: number | null;
  /** Stable snake_case reason for programs (`validation_failed`, `insufficient_scope`, `timeout`, …). */
  readonly reason: string;
  /** The server's request id (quote it to support); the id the client sent when no answer came. */
  readonly requestId: string | null;
  /** Validation errors by dotted field path; empty when there are none. */
  readonly fieldErrors: Readonly<Record<string, string[]>>;
  readonly formErrors: readonly string[];
  /** From the last answer's `Retry-After` (429, 503), in whole seconds; null without one. */
  readonly retryAfterSeconds: number | null;
  /** HTTP attempts made for this call (1 + retries). */
  readonly attempts: number;

  constructor(source: TRPCClientError<AppRouter>, context: ErrorContext) {
    const response = responseOf(source);
    const described = describe(source, response, context);
    super(described.message, {
      cause: source.cause instanceof Error ? source.cause : source,
      meta: source.meta,
      result: source.shape ? { error: source.shape } : undefined,
    });
    // TRPCClientError's constructor pins the prototype to its own; restore the subclass's.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'BastionError';
    const data = source.data;
    this.code = described.code;
    this.httpStatus = data?.httpStatus ?? response?.status ?? null;
    this.reason = described.reason;
    this.requestId = data?.requestId ?? response?.headers.get('x-request-id') ?? context.sentRequestId;
    this.fieldErrors = data?.fieldErrors ?? {};
    this.formErrors = data?.formErrors ?? [];
    const wait = retryAfterMs(response?.headers.get('retry-after'));
    this.retryAfterSeconds = wait === null ? null : Math.ceil(wait / 1000);
    this.attempts = context.attempts;
  }
}

export function isBastionError(error: unknown): error is BastionError {
  return error instanceof BastionError;
}

/** The status and headers of the HTTP answer behind an error, if there was one. */
export function responseOf(error: TRPCClientError<AppRouter>): { status: number; headers: Headers } | undefined {
  if (error.cause instanceof UnexpectedResponseError) return error.cause;
  const response = (error.meta as { response?: { status: number; headers: Headers } } | undefined)?.response;
  return response && typeof response.status === 'number' ? response : undefined;
}

const CODE_BY_STATUS: Record<number, ErrorData['code']> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  501: 'NOT_IMPLEMENTED',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

function describe(
  source: TRPCClientError<AppRouter>,
  response: { status: number } | undefined,
  context: ErrorContext,
): { code: BastionErrorCode; reason: string; message: string } {
  if (context.ended === 'timeout') return { code: 'TIMEOUT', reason: 'timeout', message: `The call timed out after ${context.timeoutMs} ms` };
  if (context.ended === 'aborted') return { code: 'CLIENT_CLOSED_REQUEST', reason: 'aborted', message: 'The call was aborted' };
  if (context.ended === 'invalid_request_id') {
    return { code: 'BAD_REQUEST', reason: 'invalid_request_id', message: 'requestId must be 8–128 characters of A–Z a–z 0–9 . _ : - (the server would replace it)' };
  }
  const data = source.data;
  if (data?.code) return { code: data.code, reason: data.reason ?? data.code.toLowerCase(), message: source.message };
  if (response) {
    return { code: CODE_BY_STATUS[response.status] ?? 'INTERNAL_SERVER_ERROR', reason: 'unexpected_response', message: `Unexpected HTTP ${response.status} answer (not from the Bastion API)` };
  }
  return { code: 'NETWORK_ERROR', reason: 'network_error', message: `Network error: ${networkMessage(source)}` };
}

/** undici's `fetch failed` hides the useful part (ECONNREFUSED, …) in its cause. */
function networkMessage(error: Error): string {
  const cause = error.cause as (Error & { code?: string; cause?: Error & { code?: string } }) | undefined;
  const inner = cause?.cause;
  return inner?.code ?? inner?.message ?? cause?.code ?? cause?.message ?? error.message;
}
