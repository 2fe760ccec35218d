/** Too many callers already waiting for the gate. */
export class GateFullError extends Error {}

export interface WorkGate {
  run<T>(work: () => Promise<T>): Promise<T>;
  stats(): { running: number; waiting: number };
}

/**
 * At most `concurrency` pieces of work at once, the rest queued in order, at most `queueMax` of
 * them: a flood waits its turn, or is told at once that the server is busy, instead of taking every
 * core (and every libuv thread) from the requests that are not part of it.
 */
export function createWorkGate({ concurrency, queueMax }: { concurrency: number; queueMax: number }): WorkGate {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(work) {
      if (running < concurrency) running++;
      else if (waiting.length >= queueMax) throw new GateFullError('work gate full');
      // The slot is handed over by the finishing caller, so `running` stays counted.
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await work();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
    stats: () => ({ running, waiting: waiting.length }),
  };
}
