// Smoke test of `pnpm bench:load`: every scenario for one second at low concurrency, one round, so
// the harness cannot rot. It checks the report's shape and that every comparator ran and answered
// the same data as the production server; never timings (those are the benchmark's business).
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { markdown } from './report.ts';
import { runLoadBenchmark, SCENARIOS, type LoadReport } from './run.ts';

/** Each scenario's targets in report order; S5 has two parts: refusals per store, then the limiter's overhead. */
const TARGETS: [string, string[]][] = [
  ['S1', ['production', 'node:http', 'express', 'trpc+express']],
  ['S2', ['production', 'raw floor']],
  ['S3', ['production', 'raw floor']],
  ['S4', ['S1 probe, alone', 'S1 probe, during flood', 'auth.login flood (2 conns)']],
  ['S5', ['refused (postgres)', 'refused (memory)', 'S1 production']],
  ['S5', ['counted (memory)', 'no limiter']],
  ['S6', ['production', 'raw floor']],
  ['S7', ['batch of 10', '10 separate calls']],
  ['S8', ['tracing on', 'tracing off']],
];

describe('pnpm bench:load (smoke)', () => {
  it('runs every scenario against every comparator, which answer the same data', { timeout: 120_000 }, async () => {
    const report: LoadReport = await runLoadBenchmark({
      databaseUrl: inject('adminDatabaseUrl'),
      durationSeconds: 1,
      warmupSeconds: 0,
      rounds: 1,
      connections: [4],
      heldConnections: 8,
      floodConnections: 2,
      probeRate: 20,
      burstLimit: 5,
    });

    expect(report.scenarios.map((scenario) => [scenario.id, scenario.targets.map((target) => target.name)])).toEqual(TARGETS);
    expect(new Set(report.scenarios.map((scenario) => scenario.id))).toEqual(new Set(SCENARIOS));
    for (const scenario of report.scenarios) {
      for (const target of scenario.targets) {
        const { median } = target;
        expect(target.rounds, `${scenario.id} ${target.name}`).toHaveLength(1);
        expect(median.requests, `${scenario.id} ${target.name} answered`).toBeGreaterThan(0);
        expect(median.errors, `${scenario.id} ${target.name} errors`).toBe(0);
        expect(median.unexpectedStatus, `${scenario.id} ${target.name} unexpected statuses`).toBe(0);
        for (const value of [median.rps, median.latency.p50, median.latency.p90, median.latency.p99, median.cpuMicrosPerRequest, median.rssMB]) expect(Number.isFinite(value)).toBe(true);
        expect(median.rssMB).toBeGreaterThan(0);
      }
      expect(scenario.comparisons.length, scenario.id).toBeGreaterThan(0);
    }
    // The refused path answers 429 only, the others 200 only.
    const refused = report.scenarios.find((scenario) => scenario.id === 'S5')!.targets[0]!.median;
    expect(Object.keys(refused.statusCodes)).toEqual(['429']);

    expect(report.checks.length).toBeGreaterThanOrEqual(8);
    expect(report.checks.filter((check) => !check.same)).toEqual([]);
    // The comparators' answers, compared here again rather than trusted.
    const { S1, S2, S3, S7 } = report.answers;
    const untimed = (body: unknown) => JSON.stringify(body).replace(/"time":"[^"]+"/, '');
    expect(Object.keys(S1!)).toEqual(['production', 'http', 'express', 'trpc']);
    for (const body of Object.values(S1!)) expect(untimed(body)).toBe(untimed(S1!.production));
    expect(S2!.production).toHaveLength(20);
    expect(S2!.floor).toEqual(S2!.production);
    expect(S3!.floor).toEqual(S3!.production);
    expect(S3!.outboxRows).toEqual({ production: 1, floor: 1 });
    expect(S7!.batched).toHaveLength(10);
    expect(S7!.batched).toEqual(S7!.separate);

    expect(report.targets.map((target) => target.label)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('S1 c=4: production / trpc+express'),
        expect.stringContaining('S5 c=4: counted (memory) / no limiter'),
        expect.stringContaining('production server RSS after the run'),
      ]),
    );
    expect(report.server.logLines).toBeGreaterThan(0);
    const table = markdown(report, 'pnpm bench:load');
    for (const id of SCENARIOS) expect(table).toContain(`| ${id} |`);
  });
});
