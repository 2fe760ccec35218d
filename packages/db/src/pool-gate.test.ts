import { describe, expect, it } from 'vitest';
import { PoolGate, PoolTimeoutError } from './pool-gate.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('PoolGate', () => {
  it('admits up to its size, queues the rest in order and hands each freed slot to the next', async () => {
    const gate = new PoolGate({ size: 2, acquireTimeoutMs: 5_000 });
    const order: string[] = [];
    const blockers = [deferred(), deferred()];
    const running = blockers.map((blocker, i) => gate.run(async () => (order.push(`start ${i}`), blocker.promise)));
    const queued = ['a', 'b'].map((name) => gate.run(async () => void order.push(`start ${name}`)));
    await Promise.resolve();
    expect(gate.stats()).toMatchObject({ size: 2, inUse: 2, waiting: 2 });
    expect(gate.saturated()).toBe(true);
    blockers[0]!.resolve();
    await queued[0];
    blockers[1]!.resolve();
    await Promise.all([...running, ...queued]);
    expect(order).toEqual(['start 0', 'start 1', 'start a', 'start b']);
    expect(gate.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('refuses after the acquire timeout instead of waiting forever, and frees the slot on failure', async () => {
    const refused: number[] = [];
    const gate = new PoolGate({ size: 1, acquireTimeoutMs: 20, onRefused: () => refused.push(1) });
    const blocker = deferred();
    const holding = gate.run(() => blocker.promise);
    await expect(gate.run(async () => 'never')).rejects.toBeInstanceOf(PoolTimeoutError);
    expect(refused).toHaveLength(1);
    expect(gate.stats()).toMatchObject({ inUse: 1, waiting: 0 });
    blocker.resolve();
    await holding;
    await expect(gate.run(async () => Promise.reject(new Error('query failed')))).rejects.toThrow('query failed');
    expect(gate.stats().inUse).toBe(0);
    await expect(gate.run(async () => 'ok')).resolves.toBe('ok');
  });
});
