/** Latency of one subject over the measured runs, in milliseconds. */
export interface Stats {
  median: number;
  p95: number;
  runs: number;
}

export interface SampleOptions {
  /** Untimed runs first: plans cached, pages in shared buffers, code JIT-compiled. */
  warmup: number;
  runs: number;
  /** Calls per timed run, for operations too fast to time one at a time; stats are per call. */
  batch?: number;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

function statsOf(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), runs: sorted.length };
}

/**
 * Times the subjects against each other in the same run. Runs alternate between the subjects (and
 * the order rotates each round), so load from other processes on the machine falls on all of them
 * alike instead of skewing whichever ran during the busy second.
 */
export async function compare<K extends string>(subjects: Record<K, () => Promise<unknown>>, options: SampleOptions): Promise<Record<K, Stats>> {
  const names = Object.keys(subjects) as K[];
  const batch = options.batch ?? 1;
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < options.warmup + options.runs; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      const run = subjects[name];
      const start = process.hrtime.bigint();
      for (let call = 0; call < batch; call++) await run();
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6 / batch;
      if (round >= options.warmup) samples.get(name)!.push(elapsed);
    }
  }
  return Object.fromEntries(names.map((name) => [name, statsOf(samples.get(name)!)])) as Record<K, Stats>;
}

export const ms = (value: number) => (value >= 1 ? `${value.toFixed(2)} ms` : `${(value * 1000).toFixed(1)} µs`);
export const ratio = (slow: number, fast: number) => `${(slow / fast).toFixed(1)}×`;
export const count = (value: number) => value.toLocaleString('en-US').replaceAll(',', ' ');

/** The ratio against the project's target for it; a miss is reported, not fatal (machines differ). */
export function target(actual: number, minimum: number): string {
  return `target ≥ ${minimum}×: ${actual >= minimum ? 'met' : 'MISSED'}`;
}

/** A plain-text table: the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(rows[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** Thrown when the two sides of a comparison do not compute the same thing: the ratio would mean nothing. */
export class BenchmarkInvalid extends Error {}

export function same(label: string, expected: unknown, actual: unknown): void {
  if (JSON.stringify(expected) !== JSON.stringify(actual)) throw new BenchmarkInvalid(`${label}: the comparator returned different rows`);
}
