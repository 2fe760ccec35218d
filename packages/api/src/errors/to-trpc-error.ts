import { TRPCError } from '@trpc/server';
import { connectionErrorOf, poolTimeoutOf, postgresErrorOf } from '@bastion/db';
import { AppError } from './app-error.ts';

/** SQLSTATE → the safe error the client sees. Nothing of the database error itself goes out. */
const BY_SQLSTATE: Record<string, () => AppError> = {
  '23505': () => new AppError('CONFLICT', 'resource_already_exists', 'A resource with these details already exists.'),
  '23503': () => new AppError('BAD_REQUEST', 'related_resource_missing', 'A related resource does not exist.'),
  '23514': () => new AppError('BAD_REQUEST', 'invalid_value', 'A value is not allowed.'),
  '23502': () => new AppError('BAD_REQUEST', 'missing_value', 'A required value is missing.'),
  '22001': () => new AppError('BAD_REQUEST', 'value_too_long', 'A value is too long.'),
  '22P02': () => new AppError('BAD_REQUEST', 'invalid_value', 'A value has the wrong format.'),
  '22003': () => new AppError('BAD_REQUEST', 'value_out_of_range', 'A value is out of range.'),
  '22007': () => new AppError('BAD_REQUEST', 'invalid_value', 'A value has the wrong format.'),
  '22008': () => new AppError('BAD_REQUEST', 'value_out_of_range', 'A value is out of range.'),
  '22021': () => new AppError('BAD_REQUEST', 'invalid_value', 'A value contains characters that cannot be stored.'),
  '2202E': () => new AppError('BAD_REQUEST', 'invalid_value', 'A value is not allowed.'),
  '23P01': () => new AppError('CONFLICT', 'resource_already_exists', 'A resource with these details already exists.'),
  '54000': () => new AppError('BAD_REQUEST', 'value_too_long', 'A value is too long.'),
  '40001': () => new AppError('CONFLICT', 'concurrent_update', 'The resource was changed concurrently; try again.'),
  '40P01': () => new AppError('CONFLICT', 'concurrent_update', 'The resource was changed concurrently; try again.'),
  '57014': () => new AppError('TIMEOUT', 'query_timeout', 'The request took too long.'),
  '55P03': () => new AppError('CONFLICT', 'resource_locked', 'The resource is busy; try again.'),
  '53100': () => new AppError('SERVICE_UNAVAILABLE', 'database_unavailable', 'The service is temporarily unavailable.'),
  '53200': () => new AppError('SERVICE_UNAVAILABLE', 'database_unavailable', 'The service is temporarily unavailable.'),
  '53300': () => new AppError('SERVICE_UNAVAILABLE', 'database_unavailable', 'The service is temporarily unavailable.'),
  '57P01': () => new AppError('SERVICE_UNAVAILABLE', 'database_unavailable', 'The service is temporarily unavailable.'),
  '57P03': () => new AppError('SERVICE_UNAVAILABLE', 'database_unavailable', 'The service is temporarily unavailable.'),
};

/**
 * Maps any error a handler threw to the TRPCError the client may see. Database errors become safe
 * codes (the original stays as `cause`, for the server-side log only); TRPCErrors pass through;
 * everything else is an internal error.
 */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError && !(error.code === 'INTERNAL_SERVER_ERROR' && error.cause)) return error;
  const original = error instanceof TRPCError && error.cause ? error.cause : error;
  const pgError = postgresErrorOf(original);
  if (pgError) {
    const mapped = BY_SQLSTATE[pgError.code]?.() ?? (pgError.code.startsWith('08') ? BY_SQLSTATE['57P01']!() : undefined);
    if (mapped) return withCause(mapped, original);
  }
  if (poolTimeoutOf(original)) {
    return withCause(new AppError('SERVICE_UNAVAILABLE', 'database_busy', 'The service is busy; try again shortly.'), original);
  }
  if (connectionErrorOf(original)) return withCause(BY_SQLSTATE['57P01']!(), original);
  return error instanceof TRPCError ? error : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', cause: original });
}

function withCause(error: AppError, cause: unknown): AppError {
  return new AppError(error.code, error.reason, error.message, { cause });
}
