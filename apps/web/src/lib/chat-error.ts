import { isApiError, toSubmitErrors, type FormError } from './api-error.ts';

/** Reasons whose server message is safe and more useful than a generic one, even for 5xx answers. */
const SPECIFIC_REASONS = new Set(['rate_limited', 'token_budget_exceeded', 'assistant_timeout', 'assistant_busy', 'assistant_unavailable', 'assistant_upstream_error']);

/** A failed assistant call as the chat shows it: the message-field error, or one form-level error. */
export function toChatError(error: unknown, messageField: string): { field?: string; form: FormError | null } {
  if (isApiError(error) && error.data && SPECIFIC_REASONS.has(error.data.reason)) {
    return { form: { message: error.message, requestId: error.data.httpStatus >= 500 ? error.data.requestId : undefined } };
  }
  const { fields, form } = toSubmitErrors(error, [messageField, 'model']);
  return { field: fields[messageField] ?? fields.model, form };
}
