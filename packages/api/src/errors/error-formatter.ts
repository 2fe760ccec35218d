import type { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { DefaultErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { ZodError } from 'zod';
import { AppError, defaultReason } from './app-error.ts';
import { toTRPCError } from './to-trpc-error.ts';

export interface ErrorData {
  code: DefaultErrorShape['data']['code'];
  httpStatus: number;
  path?: string;
  /** Stable snake_case error code for programs. */
  reason: string;
  /** The request id, to quote to support and to find the server-side log line. */
  requestId: string | null;
  /** Validation errors by dotted field path. */
  fieldErrors?: Record<string, string[]>;
  formErrors?: string[];
  /** On `rate_limited`: seconds until a retry can succeed (the Retry-After header's value). */
  retryAfterSeconds?: number;
  stack?: string;
}

export interface ErrorShape {
  message: string;
  code: DefaultErrorShape['code'];
  data: ErrorData;
}

const GENERIC_MESSAGE = 'Internal server error';
/** What a validation failure says (REST answers rebuild it: trpc-to-openapi overwrites the message). */
export const VALIDATION_MESSAGE = 'Invalid input';

export function fieldErrorsOf(error: ZodError): { fieldErrors: Record<string, string[]>; formErrors: string[] } {
  const fieldErrors: Record<string, string[]> = {};
  const formErrors: string[] = [];
  for (const issue of error.issues) {
    if (issue.path.length === 0) {
      formErrors.push(issue.message);
      continue;
    }
    const key = issue.path.map(String).join('.');
    (fieldErrors[key] ??= []).push(issue.message);
  }
  return { fieldErrors, formErrors };
}

/**
 * The single error formatter. Validation errors carry field errors; internal errors carry nothing
 * of the original (message, stack, SQL) unless `exposeInternals` (development); every error
 * carries the request id.
 *
 * Every error passes through toTRPCError here too: an error raised while a subscription streams
 * never passes the procedure middleware (the resolver has already returned its iterator), but
 * every transport (HTTP, SSE, batch) formats its errors here.
 */
export function formatError(
  { shape, error: raw }: { shape: DefaultErrorShape; error: TRPCError },
  { requestId, exposeInternals }: { requestId: string | null; exposeInternals: boolean },
): ErrorShape {
  const error = toTRPCError(raw);
  const remapped = error !== raw;
  const isInternal = error.code === 'INTERNAL_SERVER_ERROR';
  const data: ErrorData = {
    code: error.code,
    httpStatus: remapped ? getHTTPStatusCodeFromError(error) : shape.data.httpStatus,
    path: shape.data.path,
    reason: error instanceof AppError ? error.reason : defaultReason(error.code),
    requestId,
  };
  let message = remapped ? error.message : shape.message;
  if (error.code === 'BAD_REQUEST' && error.cause instanceof ZodError) {
    Object.assign(data, fieldErrorsOf(error.cause));
    data.reason = 'validation_failed';
    message = VALIDATION_MESSAGE;
  } else if (error instanceof AppError && error.fieldErrors) {
    data.fieldErrors = error.fieldErrors;
  }
  if (error instanceof AppError && error.retryAfterSeconds !== undefined) data.retryAfterSeconds = error.retryAfterSeconds;
  if (isInternal && !exposeInternals) message = GENERIC_MESSAGE;
  // A remapped error's own stack: the original's would carry its message (the SQL) along.
  if (exposeInternals && error.stack) data.stack = error.stack;
  return { message, code: remapped ? TRPC_ERROR_CODES_BY_KEY[error.code] : shape.code, data };
}
