// `pnpm audit --prod`: fails on a high or critical advisory not on .ci/audit-allowlist.json, on an
// expired allow-list entry, and when the audit endpoint gives no report after a few tries.
//   pnpm check:audit                      audits the production tree
//   pnpm check:audit --input audit.json   judges saved `pnpm audit --prod --json` output
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { auditWithRetries, evaluateAudit, evaluateUnavailable, parseAuditOutput, type AdvisorySummary, type AuditAllowlist, type AuditAttempt } from './audit-policy.ts';
import { pnpm, readJson } from './pnpm-json.ts';

const { values } = parseArgs({ options: { input: { type: 'string' } } });
const allowlist = await readJson<AuditAllowlist>('.ci/audit-allowlist.json');
const today = new Date();

async function runAudit(): Promise<AuditAttempt> {
  if (values.input) return parseAuditOutput(await readFile(values.input, 'utf8'));
  const { stdout, stderr } = await pnpm(['audit', '--prod', '--json']);
  return parseAuditOutput(stdout, stderr);
}

const attempt = await auditWithRetries(runAudit, {
  tries: values.input ? 1 : 3,
  delaysMs: [3_000, 10_000],
  sleep: (ms) => sleep(ms),
  onRetry: (reason, tried) => console.warn(`audit try ${tried} gave no report (${reason}); retrying`),
});

const line = (a: AdvisorySummary) => `  ${a.severity.padEnd(8)} ${a.id} ${a.package}@${a.versions.join(',') || '?'} — ${a.title}${a.patched ? ` (patched: ${a.patched})` : ''}${a.url ? ` ${a.url}` : ''}`;

if ('unavailable' in attempt) {
  const verdict = evaluateUnavailable(attempt.unavailable, allowlist, today);
  for (const problem of verdict.problems) console.error(problem);
  if (!verdict.ok) {
    console.error('\naudit check failed: no audit report, so no claim that the dependencies are clean.');
    process.exit(1);
  }
  console.warn(`\n!!! AUDIT NOT RUN: ${attempt.unavailable}\n!!! waived until ${allowlist.unavailable!.expires} by .ci/audit-allowlist.json: ${allowlist.unavailable!.reason}\n`);
  process.exit(0);
}

const verdict = evaluateAudit(attempt.report, allowlist, today);
if (verdict.failing.length) console.error(`high/critical advisories:\n${verdict.failing.map(line).join('\n')}`);
if (verdict.allowed.length) console.log(`allowed by .ci/audit-allowlist.json:\n${verdict.allowed.map(line).join('\n')}`);
if (verdict.reported.length) console.log(`below the threshold (not failing):\n${verdict.reported.map(line).join('\n')}`);
for (const id of verdict.unused) console.warn(`note: allow-list entry ${id} matches no advisory; remove it`);
for (const problem of verdict.problems) console.error(problem);
if (!verdict.ok) {
  console.error('\naudit check failed: upgrade the package (`pnpm why <name>` shows who pulls it in), or add a reviewed entry with a reason and an expiry to .ci/audit-allowlist.json.');
  process.exit(1);
}
console.log(`audit: no high or critical advisory outstanding (${Object.keys(attempt.report.advisories).length} advisories in the report)`);
