/**
 * When the next attempt of a failed delivery runs. `schedule[n]` is the wait after the (n+1)th
 * failed attempt; past its end the delivery is dead. Each wait gets ±10 % jitter, so deliveries
 * that failed together (a receiver's outage) do not all come back in the same second.
 *
 * A receiver's `Retry-After` is honoured when it asks for longer than the schedule would wait,
 * up to the schedule's longest step (10 h by default): a receiver may slow us down, not park a
 * delivery for days, and never make us retry sooner than the schedule.
 */
export const JITTER = 0.1;

export function retryDelaySeconds(options: {
  schedule: readonly number[];
  /** Attempts made so far, all failed (≥ 1). */
  failedAttempts: number;
  retryAfterSeconds: number | null;
  random?: () => number;
}): number | null {
  const step = options.schedule[options.failedAttempts - 1];
  if (step === undefined) return null;
  const random = options.random ?? Math.random;
  const jittered = step * (1 - JITTER + 2 * JITTER * random());
  const ceiling = Math.max(...options.schedule);
  const asked = options.retryAfterSeconds === null ? 0 : Math.min(options.retryAfterSeconds, ceiling);
  return Math.max(jittered, asked);
}
