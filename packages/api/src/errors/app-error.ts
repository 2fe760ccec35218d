import { TRPCError } from '@trpc/server';

type Code = TRPCError['code'];

/**
 * A TRPCError with a stable, machine-readable `reason` (snake_case) that clients can branch on and
 * that never changes with the wording of the message.
 */
export class AppError extends TRPCError {
  readonly reason: string;
  readonly fieldErrors: Record<string, string[]> | undefined;
  constructor(code: Code, reason: string, message: string, options: { cause?: unknown; fieldErrors?: Record<string, string[]> } = {}) {
    super({ code, message, cause: options.cause });
    this.reason = reason;
    this.fieldErrors = options.fieldErrors;
  }
}

/** The reason a client sees when the error carries none of its own. */
export function defaultReason(code: Code): string {
  return code.toLowerCase();
}
