import { describe, expect, it } from 'vitest';
import { singleFlight } from './single-flight.ts';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('singleFlight', () => {
  it('runs the task once for concurrent callers and gives all of them its result', async () => {
    let runs = 0;
    const gate = deferred<string>();
    const refresh = singleFlight(() => {
      runs += 1;
      return gate.promise;
    });

    const callers = Array.from({ length: 8 }, () => refresh());
    gate.resolve('fresh-session');

    expect(await Promise.all(callers)).toEqual(Array(8).fill('fresh-session'));
    expect(runs).toBe(1);
  });

  it('rejects every concurrent caller when the shared run fails', async () => {
    let runs = 0;
    const gate = deferred<string>();
    const refresh = singleFlight(() => {
      runs += 1;
      return gate.promise;
    });

    const callers = Array.from({ length: 5 }, () => refresh());
    gate.reject(new Error('refresh token revoked'));

    const results = await Promise.allSettled(callers);
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'refresh token revoked')).toBe(true);
    expect(runs).toBe(1);
  });

  it('starts a new run once the previous one has settled, even after a failure', async () => {
    let runs = 0;
    const refresh = singleFlight(async () => {
      runs += 1;
      if (runs === 1) throw new Error('down');
      return runs;
    });

    await expect(refresh()).rejects.toThrow('down');
    expect(await Promise.all([refresh(), refresh()])).toEqual([2, 2]);
    expect(runs).toBe(2);
  });

  it('treats a task that throws synchronously as a rejected run', async () => {
    const refresh = singleFlight<never>(() => {
      throw new Error('sync failure');
    });
    await expect(Promise.all([refresh(), refresh()])).rejects.toThrow('sync failure');
  });
});
