// pnpm check:alerts: promtool check rules + promtool test rules on ops/prometheus, then the
// repository's own checks (every alert tested firing, runbook links resolve). promtool comes from
// PROMTOOL, PATH, or .ci/tools (where .ci/run unpacks Debian's prometheus package).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { problemsOf } from './alert-rules.ts';
import { ROOT } from './pnpm-json.ts';

function promtool(): string {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(path.join(dir, 'promtool'))) return path.join(dir, 'promtool');
  const unpacked = path.join(ROOT, '.ci/tools/prometheus/usr/bin/promtool');
  if (existsSync(unpacked)) return unpacked;
  console.error('promtool not found: apt-get install prometheus, or run .ci/run (it unpacks promtool into .ci/tools), or set PROMTOOL');
  process.exit(1);
}

const dir = path.join(ROOT, 'ops/prometheus');
const tool = promtool();
try {
  execFileSync(tool, ['check', 'rules', 'alerts.yml'], { cwd: dir, stdio: 'inherit' });
  execFileSync(tool, ['test', 'rules', 'alerts.test.yml'], { cwd: dir, stdio: 'inherit' });
} catch {
  process.exit(1);
}
const problems = problemsOf({
  rules: readFileSync(path.join(dir, 'alerts.yml'), 'utf8'),
  tests: readFileSync(path.join(dir, 'alerts.test.yml'), 'utf8'),
  operations: readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8'),
});
for (const problem of problems) console.error(problem);
if (problems.length) process.exit(1);
console.log('alerts: rules valid, every alert tested firing, every runbook link resolves');
