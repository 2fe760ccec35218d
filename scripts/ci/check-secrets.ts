// pnpm check:secrets: scans every tracked file for key-shaped strings (scripts/ci/secret-scan.ts);
// exits 1 on a finding that .ci/secret-scan-allowlist.json does not allow, or on a stale entry.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyAllowList, redact, scanText, type AllowEntry, type Finding } from './secret-scan.ts';
import { ROOT } from './pnpm-json.ts';

const SKIP = [/^pnpm-lock\.yaml$/, /^\.ci\/secret-scan-allowlist\.json$/, /\.(png|jpe?g|gif|ico|woff2?|ttf|pdf|zip|gz)$/i, /^drizzle\/meta\//];

const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
const findings: Finding[] = [];
for (const file of files) {
  if (SKIP.some((pattern) => pattern.test(file))) continue;
  let text: string;
  try {
    text = readFileSync(path.join(ROOT, file), 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  if (text.includes('\0')) continue;
  findings.push(...scanText(file, text));
}
const allow = JSON.parse(readFileSync(path.join(ROOT, '.ci/secret-scan-allowlist.json'), 'utf8')) as { entries: AllowEntry[] };
const { blocked, stale } = applyAllowList(findings, allow.entries);
for (const finding of blocked) console.error(`${finding.file}:${finding.line}: ${finding.rule}: ${redact(finding.match)}`);
for (const entry of stale) console.error(`stale allow-list entry: ${entry.file} ${entry.rule} (nothing matches it any more; remove it)`);
if (blocked.length || stale.length) process.exit(1);
console.log(`secrets: ${files.length} tracked files scanned, ${findings.length} allowed findings, none else`);
