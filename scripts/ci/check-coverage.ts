// pnpm check:coverage (after `pnpm test --coverage`): prints coverage against the floor in
// .ci/coverage-floor.json, fails below it, and fails if the floor was lowered against main (or
// the parent commit). `--raise` writes the measured coverage as the new floor (never lower).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { belowFloor, loweredFrom, METRICS, parseFloor, raisedFloor, type CoverageSummary, type Floor } from './coverage-floor.ts';
import { ROOT } from './pnpm-json.ts';

const FLOOR_FILE = '.ci/coverage-floor.json';
const floorPath = path.join(ROOT, FLOOR_FILE);
const summaryPath = path.join(ROOT, 'coverage/coverage-summary.json');
if (!existsSync(summaryPath)) {
  console.error('no coverage/coverage-summary.json: run pnpm test --coverage first');
  process.exit(1);
}
const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as CoverageSummary;
const floor = parseFloor(readFileSync(floorPath, 'utf8'));

if (process.argv.includes('--raise')) {
  const raised = raisedFloor(summary, floor);
  writeFileSync(floorPath, `${JSON.stringify(raised, null, 2)}\n`);
  console.log(`coverage floor: ${METRICS.map((metric) => `${metric} ${floor[metric]} → ${raised[metric]} %`).join(', ')}`);
  process.exit(0);
}

/** The floor as committed on main (or in the parent commit): what this tree may not go below. */
function previousFloor(): Floor | undefined {
  for (const ref of ['origin/main', 'main', 'HEAD~1']) {
    try {
      const base = ref === 'HEAD~1' ? ref : execFileSync('git', ['merge-base', 'HEAD', ref], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
      return parseFloor(execFileSync('git', ['show', `${base}:${FLOOR_FILE}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
    } catch {
      // Not there (a shallow clone, or the file is new): try the next.
    }
  }
  return undefined;
}

for (const metric of METRICS) console.log(`  ${metric.padEnd(10)} ${summary.total[metric].pct.toFixed(2).padStart(6)} %  (floor ${floor[metric]} %)`);
const problems = [...belowFloor(summary, floor)];
const before = previousFloor();
if (before) problems.push(...loweredFrom(before, floor));
if (problems.length) {
  for (const problem of problems) console.error(`coverage: ${problem}`);
  process.exit(1);
}
const headroom = METRICS.filter((metric) => raisedFloor(summary, floor)[metric] > floor[metric]);
if (headroom.length) console.log(`coverage is above the floor (${headroom.join(', ')}): raise it with pnpm check:coverage --raise and commit ${FLOOR_FILE}`);
