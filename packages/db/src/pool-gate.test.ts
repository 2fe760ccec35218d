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
    expect(gate.stats()).toMatchObject({ size: 2, capacity: 2, inUse: 2, waiting: 2 });
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

  it('pipelines up to `pipeline` operations per connection while every operation in flight is young', async () => {
    const gate = new PoolGate({ size: 2, pipeline: 2, acquireTimeoutMs: 5_000, pipelineMaxAgeMs: 60_000 });
    const blockers = [deferred(), deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const running = blockers.map((blocker, i) => gate.run(async () => (started.push(i), blocker.promise)));
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(gate.stats()).toMatchObject({ size: 2, capacity: 4, inUse: 4, waiting: 1 });
    expect(gate.saturated()).toBe(true);
    blockers[0]!.resolve();
    await running[0];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    for (const blocker of blockers) blocker.resolve();
    await Promise.all(running);
    expect(gate.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('stops pipelining while an operation in flight is old: nothing is sent behind a statement that may be stuck', async () => {
    const gate = new PoolGate({ size: 1, pipeline: 3, acquireTimeoutMs: 5_000, pipelineMaxAgeMs: 30 });
    const slow = deferred();
    const holding = gate.run(() => slow.promise);
    // Young: a second statement goes down the same connection.
    await expect(gate.run(async () => 'pipelined')).resolves.toBe('pipelined');
    await new Promise((resolve) => setTimeout(resolve, 60));
    let ran = false;
    const queued = gate.run(async () => void (ran = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ran).toBe(false);
    expect(gate.stats()).toMatchObject({ inUse: 1, waiting: 1 });
    slow.resolve();
    await Promise.all([holding, queued]);
    expect(ran).toBe(true);
  });

  it('counts a transaction as a whole connection and admits in arrival order behind it', async () => {
    const gate = new PoolGate({ size: 2, pipeline: 2, acquireTimeoutMs: 5_000, pipelineMaxAgeMs: 60_000 });
    const order: string[] = [];
    const first = deferred();
    const holding = gate.run(async () => (order.push('query'), first.promise));
    const transactions = [deferred(), deferred()];
    const inTransaction = transactions.map((blocker, i) => gate.run(async () => (order.push(`transaction ${i}`), blocker.promise), 2));
    const after = gate.run(async () => void order.push('after'));
    await Promise.resolve();
    await Promise.resolve();
    // 1 + 2 = 3 of 4 slots: the second transaction (2 more) waits, and the query behind it too.
    expect(order).toEqual(['query', 'transaction 0']);
    expect(gate.stats()).toMatchObject({ inUse: 2, waiting: 2 });
    first.resolve();
    await holding;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['query', 'transaction 0', 'transaction 1']);
    transactions[0]!.resolve();
    await after;
    expect(order).toEqual(['query', 'transaction 0', 'transaction 1', 'after']);
    transactions[1]!.resolve();
    await Promise.all(inTransaction);
    expect(gate.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('lets lighter waiters through once a transaction waiting ahead of them gives up', async () => {
    const gate = new PoolGate({ size: 1, pipeline: 2, acquireTimeoutMs: 30, pipelineMaxAgeMs: 60_000 });
    const blocker = deferred();
    const holding = gate.run(() => blocker.promise);
    const transaction = gate.run(async () => 'never', 2);
    const query = gate.run(async () => 'after the transaction left');
    await expect(transaction).rejects.toBeInstanceOf(PoolTimeoutError);
    await expect(query).resolves.toBe('after the transaction left');
    blocker.resolve();
    await holding;
  });
});
