import type { AppRouter } from '@bastion/api';
import { TRPCClientError, type Operation, type OperationResultEnvelope } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { describe, expect, it } from 'vitest';
import { refreshOnUnauthorizedLink } from './refresh-link.ts';

type Envelope = OperationResultEnvelope<unknown, TRPCClientError<AppRouter>>;

function apiError(code: string) {
  return TRPCClientError.from<AppRouter>({
    error: { code: -32001, message: code, data: { code, httpStatus: 401, reason: code.toLowerCase(), requestId: 'req-1' } },
  });
}

function operation(path: string): Operation {
  return { id: 1, type: 'query', path, input: undefined, context: {}, signal: null };
}

/** Runs one operation through the link against a fake transport that answers from `responses` in turn. */
function run(path: string, responses: Array<'ok' | 'UNAUTHORIZED' | 'FORBIDDEN'>, refreshSession: () => Promise<unknown>, sessionMayExist = () => true) {
  let sent = 0;
  const link = refreshOnUnauthorizedLink(refreshSession, sessionMayExist)({} as never);
  const result = new Promise<Envelope>((resolve, reject) => {
    link({
      op: operation(path),
      next: () =>
        observable<Envelope, TRPCClientError<AppRouter>>((observer) => {
          const response = responses[sent++];
          if (response === 'ok') {
            observer.next({ result: { type: 'data', data: 'payload' } });
            observer.complete();
          } else {
            observer.error(apiError(response ?? 'NO_MORE_RESPONSES'));
          }
        }),
    }).subscribe({ next: resolve, error: reject });
  });
  return { result, sent: () => sent };
}

describe('refreshOnUnauthorizedLink', () => {
  it('refreshes once and replays the operation after an UNAUTHORIZED', async () => {
    let refreshes = 0;
    const call = run('auth.me', ['UNAUTHORIZED', 'ok'], async () => refreshes++);
    await expect(call.result).resolves.toMatchObject({ result: { data: 'payload' } });
    expect(refreshes).toBe(1);
    expect(call.sent()).toBe(2);
  });

  it('replays at most once', async () => {
    let refreshes = 0;
    const call = run('auth.me', ['UNAUTHORIZED', 'UNAUTHORIZED', 'ok'], async () => refreshes++);
    await expect(call.result).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect(refreshes).toBe(1);
    expect(call.sent()).toBe(2);
  });

  it('passes the original error on when the refresh fails', async () => {
    const call = run('auth.me', ['UNAUTHORIZED', 'ok'], () => Promise.reject(new Error('refresh rejected')));
    await expect(call.result).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect(call.sent()).toBe(1);
  });

  it.each(['auth.login', 'auth.register', 'auth.refresh'])('never refreshes for %s', async (path) => {
    let refreshes = 0;
    const call = run(path, ['UNAUTHORIZED', 'ok'], async () => refreshes++);
    await expect(call.result).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect(refreshes).toBe(0);
  });

  it('does not refresh when the session hint is gone: there is no session to renew', async () => {
    let refreshes = 0;
    const call = run('auth.me', ['UNAUTHORIZED', 'ok'], async () => refreshes++, () => false);
    await expect(call.result).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect(refreshes).toBe(0);
    expect(call.sent()).toBe(1);
  });

  it('leaves other errors alone', async () => {
    let refreshes = 0;
    const call = run('auth.me', ['FORBIDDEN', 'ok'], async () => refreshes++);
    await expect(call.result).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    expect(refreshes).toBe(0);
  });
});
