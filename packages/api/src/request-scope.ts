import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<{ requestId: string }>();

/**
 * Makes the request id reachable where no tRPC context exists yet (errors raised while tRPC parses
 * the request, before `createContext` runs), so that every error carries it.
 */
export function runInRequestScope<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

export function currentRequestId(): string | null {
  return scope.getStore()?.requestId ?? null;
}
