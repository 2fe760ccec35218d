import type { AppRouter } from '@bastion/api';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { sessionState } from './session-state.ts';

function apiError(code: string, httpStatus: number) {
  return TRPCClientError.from<AppRouter>({ error: { code: -32001, message: code, data: { code, httpStatus, reason: code.toLowerCase(), requestId: 'req-1' } } });
}

const user = { id: 'u1', email: 'ada@example.com' };
const idle = { data: undefined, error: null, isFetching: false, refetch: () => undefined };

describe('sessionState', () => {
  it('is signed out without the hint, whatever the query holds (even a cached user)', () => {
    expect(sessionState(false, idle)).toEqual({ status: 'signed-out' });
    expect(sessionState(false, { ...idle, data: { user } })).toEqual({ status: 'signed-out' });
  });

  it('with the hint, follows auth.me: loading, then the user', () => {
    expect(sessionState(true, { ...idle, isFetching: true })).toEqual({ status: 'loading' });
    expect(sessionState(true, { ...idle, data: { user } })).toEqual({ status: 'signed-in', user });
  });

  it('with a stale hint, an UNAUTHORIZED answer means signed out', () => {
    expect(sessionState(true, { ...idle, error: apiError('UNAUTHORIZED', 401) })).toEqual({ status: 'signed-out' });
  });

  it('any other failure is an error the user can retry', () => {
    let refetches = 0;
    const state = sessionState(true, { ...idle, error: apiError('INTERNAL_SERVER_ERROR', 500), refetch: () => refetches++ });
    expect(state).toMatchObject({ status: 'error', retrying: false });
    if (state.status === 'error') state.retry();
    expect(refetches).toBe(1);
  });
});
