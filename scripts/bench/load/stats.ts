import type { LoadResult } from './load.ts';

/** One measured run of one target, with the server's cost read from /proc around it. */
export interface Measure extends LoadResult {
  /** Server CPU time (user + system) over the run divided by the responses; µs. */
  cpuMicrosPerRequest: number;
  /** The server's RSS right after the run; MB. */
  rssMB: number;
  /** Responses with a status the target is not expected to answer. */
  unexpectedStatus: number;
  /** Answers with an expected status per second: what the ratios compare (a fast 503 is no win). */
  goodRps: number;
  /** Requests still unanswered when the run stopped (sent − answered − errors). */
  unanswered: number;
}

export interface TargetSummary {
  name: string;
  role: 'subject' | 'comparator';
  /** Answered by a Bastion server (not by a bare comparator). */
  bastion: boolean;
  /** Items answered per request (a batch of 10 answers 10). */
  itemsPerRequest: number;
  /** The round with the median req/s; its figures are the ones reported. */
  median: Measure;
  spread: { minRps: number; maxRps: number };
  rounds: Measure[];
}

export interface Comparison {
  label: string;
  value: number;
  /** e.g. "≥ 0.9×"; absent: informative only. */
  target?: string;
  met?: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  connections: number;
  note?: string;
  targets: TargetSummary[];
  comparisons: Comparison[];
}

/** The middle value (the lower of the two middles for an even count), as the reports take it. */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;

export function summarize(name: string, role: TargetSummary['role'], rounds: Measure[], { itemsPerRequest = 1, bastion = true } = {}): TargetSummary {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  return {
    name,
    role,
    bastion,
    itemsPerRequest,
    median: sorted[Math.floor((sorted.length - 1) / 2)]!,
    spread: { minRps: sorted[0]!.rps, maxRps: sorted.at(-1)!.rps },
    rounds,
  };
}

export function ratioTo(label: string, value: number, minimum?: number): Comparison {
  return minimum === undefined ? { label, value } : { label, value, target: `≥ ${minimum}×`, met: value >= minimum };
}

/** A ratio that must stay at or below `maximum` (latency, cost). */
export function ratioAtMost(label: string, value: number, maximum: number, unit = '×'): Comparison {
  return { label, value, target: `≤ ${maximum}${unit}`, met: value <= maximum };
}
