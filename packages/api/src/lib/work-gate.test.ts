import { describe, expect, it } from 'vitest';
import { createWorkGate, GateFullError } from './work-gate.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('createWorkGate', () => {
  it('runs at most `concurrency` at once, all in order, and every caller gets its own result', async () => {
    const gate = createWorkGate({ concurrency: 2, queueMax: 100 });
    let now = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gate.run(async () => {
          started.push(i);
          peak = Math.max(peak, ++now);
          await tick();
          now--;
          return i * 2;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(gate.stats()).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses at once when the queue is full, and frees slots after failures', async () => {
    const gate = createWorkGate({ concurrency: 1, queueMax: 2 });
    const runs = Array.from({ length: 4 }, () => gate.run(async () => {
      await tick();
      throw new Error('work failed');
    }));
    const outcomes = await Promise.allSettled(runs);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason instanceof GateFullError ? 'full' : 'failed') : 'ok'))).toEqual(['failed', 'failed', 'failed', 'full']);
    expect(gate.stats()).toEqual({ running: 0, waiting: 0 });
    await expect(gate.run(async () => 'free again')).resolves.toBe('free again');
  });
});
