import type { AppRouter } from '@bastion/api';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { toChatError } from './chat-error.ts';

function apiError(message: string, data: Record<string, unknown>) {
  return TRPCClientError.from<AppRouter>({ error: { code: -32600, message, data: { requestId: 'req-7', ...data } } });
}

describe('toChatError', () => {
  it("shows the assistant's own failures with their message, quoting the request id for upstream faults", () => {
    const busy = apiError('The assistant is busy. Try again in a minute.', { code: 'SERVICE_UNAVAILABLE', httpStatus: 503, reason: 'assistant_busy' });
    expect(toChatError(busy, 'messages.0.content')).toEqual({ form: { message: 'The assistant is busy. Try again in a minute.', requestId: 'req-7' } });
    const limited = apiError('Too many requests. Try again in 20 seconds.', { code: 'TOO_MANY_REQUESTS', httpStatus: 429, reason: 'rate_limited' });
    expect(toChatError(limited, 'messages.0.content')).toEqual({ form: { message: 'Too many requests. Try again in 20 seconds.', requestId: undefined } });
  });

  it('puts a message validation error next to the message field', () => {
    const tooLong = apiError('Invalid input', { code: 'BAD_REQUEST', httpStatus: 400, reason: 'validation_failed', fieldErrors: { 'messages.0.content': ['A message has at most 4000 characters.'] } });
    expect(toChatError(tooLong, 'messages.0.content')).toEqual({ field: 'A message has at most 4000 characters.', form: null });
  });

  it('keeps other server faults generic', () => {
    const internal = apiError('select * from secrets', { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, reason: 'internal_server_error' });
    expect(toChatError(internal, 'messages.0.content').form?.message).toMatch(/Something went wrong/);
  });
});
