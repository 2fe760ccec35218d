import type { AppRouter } from '@bastion/api';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { offersPasswordReset, toSubmitErrors } from './api-error.ts';

function apiError(message: string, data: Record<string, unknown>) {
  return TRPCClientError.from<AppRouter>({ error: { code: -32600, message, data: { requestId: 'req-42', ...data } } });
}

describe('toSubmitErrors', () => {
  it('puts validation messages next to known fields and the rest in the form error', () => {
    const error = apiError('Invalid input', {
      code: 'BAD_REQUEST',
      httpStatus: 400,
      reason: 'validation_failed',
      fieldErrors: { password: ['Use at least 12 characters.', 'Too common.'], tokenDelivery: ['Invalid option.'] },
      formErrors: ['Something about the whole form.'],
    });
    expect(toSubmitErrors(error, ['email', 'password'])).toEqual({
      fields: { password: 'Use at least 12 characters.' },
      form: { message: 'Something about the whole form. Invalid option.' },
    });
  });

  it("shows the server's message for other client errors, without a reference", () => {
    const error = apiError('The email or password is incorrect.', { code: 'UNAUTHORIZED', httpStatus: 401, reason: 'invalid_credentials' });
    expect(toSubmitErrors(error, ['email'])).toEqual({ fields: {}, form: { message: 'The email or password is incorrect.' } });
  });

  it('places the field errors of a refusal that names its field (e.g. a wrong current password)', () => {
    const error = apiError('The current password is incorrect.', {
      code: 'BAD_REQUEST',
      httpStatus: 400,
      reason: 'invalid_current_password',
      fieldErrors: { currentPassword: ['The current password is incorrect.'] },
    });
    expect(toSubmitErrors(error, ['currentPassword', 'newPassword'])).toEqual({ fields: { currentPassword: 'The current password is incorrect.' }, form: null });
  });

  it('hides server faults behind a generic message that quotes the request id', () => {
    const error = apiError('Internal server error', { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, reason: 'internal_server_error' });
    expect(toSubmitErrors(error, ['email']).form).toEqual({ message: expect.stringMatching(/on our side/), requestId: 'req-42' });
  });

  it('reports an unreachable server as a connection problem', () => {
    const error = TRPCClientError.from<AppRouter>(new TypeError('Failed to fetch'));
    expect(toSubmitErrors(error, ['email']).form?.message).toMatch(/could not reach/);
  });
});

describe('offersPasswordReset', () => {
  it('is true for the sign-in pauses a password reset lifts (429 account_locked, account_throttled), not for others', () => {
    const refusal = (reason: string, code = 'TOO_MANY_REQUESTS', httpStatus = 429) => apiError('Paused.', { code, httpStatus, reason });
    expect(offersPasswordReset(refusal('account_throttled'))).toBe(true);
    expect(offersPasswordReset(refusal('account_locked'))).toBe(true);
    expect(offersPasswordReset(refusal('too_many_attempts_from_address'))).toBe(false);
    expect(offersPasswordReset(refusal('rate_limited'))).toBe(false);
    expect(offersPasswordReset(refusal('invalid_credentials', 'UNAUTHORIZED', 401))).toBe(false);
    expect(offersPasswordReset(new Error('network'))).toBe(false);
  });
});
