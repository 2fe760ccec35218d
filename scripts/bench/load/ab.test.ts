// Smoke test of `pnpm bench:ab`: one short round, so the harness cannot rot. It checks that both
// servers were loaded at once and answered; never timings.
import { describe, expect, inject, it } from 'vitest';
import { runAB } from './ab.ts';

describe('pnpm bench:ab (smoke)', () => {
  it('loads two differently configured servers at once and reports per-round ratios', { timeout: 120_000 }, async () => {
    const report = await runAB({
      a: {},
      b: { env: { DB_POOL_PIPELINE: '1' } },
      call: 'list',
      connections: 2,
      durationSeconds: 1,
      rounds: 2,
      databaseUrl: inject('adminDatabaseUrl'),
    });
    expect(report.rounds).toHaveLength(2);
    for (const round of report.rounds) {
      for (const side of [round.a, round.b]) {
        expect(side.rps).toBeGreaterThan(0);
        expect(side.errors + side.non2xx).toBe(0);
        expect(side.cpuMicrosPerRequest).toBeGreaterThan(0);
      }
      expect(round.rps).toBeCloseTo(round.b.rps / round.a.rps, 6);
    }
    expect(Number.isFinite(report.median.rps) && Number.isFinite(report.median.cpu)).toBe(true);
  });
});
