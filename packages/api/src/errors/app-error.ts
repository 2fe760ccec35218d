import { TRPCError } from '@trpc/server';

type Code = TRPCError['code'];

const SERVER_FAULTS = new Set<Code>(['INTERNAL_SERVER_ERROR', 'NOT_IMPLEMENTED', 'BAD_GATEWAY', 'SERVICE_UNAVAILABLE', 'GATEWAY_TIMEOUT']);

/**
 * A TRPCError with a stable, machine-readable `reason` (snake_case) that clients can branch on and
 * that never changes with the wording of the message.
 */
export class AppError extends TRPCError {
  readonly reason: string;
  readonly fieldErrors: Record<string, string[]> | undefined;
  /** A rate-limit refusal: the Retry-After seconds, also for clients that cannot read headers (SSE). */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: Code, reason: string, message: string, options: { cause?: unknown; fieldErrors?: Record<string, string[]>; retryAfterSeconds?: number } = {}) {
    // An expected refusal (4xx) is answered, never debugged: capturing its stack cost ~5 µs per
    // refused call, the cheapest path there should be.
    const stackTraceLimit = Error.stackTraceLimit;
    if (!SERVER_FAULTS.has(code)) Error.stackTraceLimit = 0;
    try {
      super({ code, message, cause: options.cause });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.reason = reason;
    this.fieldErrors = options.fieldErrors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The reason a client sees when the error carries none of its own. */
export function defaultReason(code: Code): string {
  return code.toLowerCase();
}
