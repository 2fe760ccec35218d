import type { AppRouter } from '@bastion/api';
import { TRPCClientError } from '@trpc/client';

export type ApiError = TRPCClientError<AppRouter>;

export function isApiError(error: unknown): error is ApiError {
  return error instanceof TRPCClientError;
}

export function isUnauthorized(error: unknown): boolean {
  return isApiError(error) && error.data?.code === 'UNAUTHORIZED';
}

/** Sign-in refusals that a password reset lifts at once: the sign-in form offers the reset right there. */
export function offersPasswordReset(error: unknown): boolean {
  const reason = isApiError(error) ? error.data?.reason : undefined;
  return reason === 'account_locked' || reason === 'account_throttled';
}

/** 4xx answers are deliberate: repeating the request cannot change them. */
export function isClientError(error: unknown): boolean {
  const status = isApiError(error) ? error.data?.httpStatus : undefined;
  return status !== undefined && status >= 400 && status < 500;
}

export interface FormError {
  message: string;
  /** Shown for server faults so a user can quote it to support. */
  requestId?: string | null;
}

export interface SubmitErrors<Field extends string> {
  fields: Partial<Record<Field, string>>;
  form: FormError | null;
}

export const noErrors = { fields: {}, form: null } as const satisfies SubmitErrors<never>;

/**
 * Turns a failed submit into what the form shows: the server's validation messages next to the
 * fields it knows, everything else as one form-level error.
 */
export function toSubmitErrors<Field extends string>(error: unknown, fields: readonly Field[]): SubmitErrors<Field> {
  if (!isApiError(error) || !error.data) {
    return { fields: {}, form: { message: 'We could not reach Bastion. Check your connection and try again.' } };
  }
  const { data } = error;
  if (data.httpStatus >= 500) {
    return { fields: {}, form: { message: 'Something went wrong on our side. Please try again in a moment.', requestId: data.requestId } };
  }
  // Besides validation, some refusals name their field (a wrong current password, a wrong code).
  if (data.reason !== 'validation_failed' && !data.fieldErrors) return { fields: {}, form: { message: error.message } };

  const byField: Partial<Record<Field, string>> = {};
  const unplaced = [...(data.formErrors ?? [])];
  for (const [key, messages] of Object.entries(data.fieldErrors ?? {})) {
    const field = fields.find((candidate) => candidate === key);
    if (field && messages[0]) byField[field] = messages[0];
    else unplaced.push(...messages);
  }
  return { fields: byField, form: unplaced.length > 0 ? { message: unplaced.join(' ') } : null };
}
