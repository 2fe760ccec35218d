// Fails when a production dependency's license is not on the reviewed allow-list (.ci/licenses.json).
//   pnpm check:licenses                      checks the installed production tree
//   pnpm check:licenses --input file.json    checks saved `pnpm licenses list --prod --json` output
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkLicenses, type LicensePolicy, type PnpmLicenses } from './license-policy.ts';
import { pnpm, readJson } from './pnpm-json.ts';

const { values } = parseArgs({ options: { input: { type: 'string' } } });

async function installedLicenses(): Promise<PnpmLicenses> {
  if (values.input) return JSON.parse(await readFile(values.input, 'utf8')) as PnpmLicenses;
  const result = await pnpm(['licenses', 'list', '--prod', '--json']);
  if (result.code !== 0) throw new Error(`pnpm licenses list failed (${result.code}): ${result.stderr || result.stdout}`);
  return JSON.parse(result.stdout) as PnpmLicenses;
}

const report = checkLicenses(await installedLicenses(), await readJson<LicensePolicy>('.ci/licenses.json'));
for (const error of report.policyErrors) console.error(`.ci/licenses.json: ${error}`);
for (const finding of report.findings) {
  const why = { forbidden: 'forbidden (AGPL/GPL/SSPL)', 'not-allowed': 'not on the allowed list', unknown: 'no license found' }[finding.problem];
  console.error(`${finding.package}: ${finding.license} — ${why}`);
}
for (const id of report.unusedExceptions) console.warn(`note: exception ${id} matches no installed package; remove it from .ci/licenses.json`);
if (!report.ok) {
  console.error(`\nlicense check failed: ${report.findings.length} package(s). Replace them, or add a reviewed exception (exact package@version, license, reason) to .ci/licenses.json.`);
  process.exit(1);
}
console.log(`licenses: ${report.checked} production packages, all allowed`);
