// The coverage floor (.ci/coverage-floor.json): vitest's thresholds fail `pnpm test --coverage`
// below it, and it only rises. Pure rules here; check-coverage.ts does the I/O.

export const METRICS = ['statements', 'branches', 'functions', 'lines'] as const;
export type Metric = (typeof METRICS)[number];
export type Floor = Record<Metric, number>;

/** vitest's json-summary (`coverage/coverage-summary.json`): `total.<metric>.pct`. */
export interface CoverageSummary {
  total: Record<Metric, { pct: number }>;
}

/** Metrics measured below the floor. */
export function belowFloor(summary: CoverageSummary, floor: Floor): string[] {
  return METRICS.filter((metric) => summary.total[metric].pct < floor[metric]).map((metric) => `${metric}: ${summary.total[metric].pct} % < floor ${floor[metric]} %`);
}

/** The floor raised to what was measured (rounded down to a tenth), never lowered. */
export function raisedFloor(summary: CoverageSummary, floor: Floor): Floor {
  return Object.fromEntries(METRICS.map((metric) => [metric, Math.max(floor[metric], Math.floor(summary.total[metric].pct * 10) / 10)])) as Floor;
}

/** Metrics whose floor is lower than in `before` (the floor may only rise). */
export function loweredFrom(before: Floor, after: Floor): string[] {
  return METRICS.filter((metric) => after[metric] < before[metric]).map((metric) => `${metric}: floor lowered from ${before[metric]} % to ${after[metric]} %`);
}

export function parseFloor(text: string): Floor {
  const value = JSON.parse(text) as Record<string, unknown>;
  for (const metric of METRICS) if (typeof value[metric] !== 'number') throw new Error(`coverage floor: ${metric} must be a number`);
  return Object.fromEntries(METRICS.map((metric) => [metric, value[metric]])) as Floor;
}
