// Fails unless every @trpc/* package in the lockfile resolves to one version, pinned exactly.
//   pnpm check:trpc [--lockfile path]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkTrpcVersions, trpcUsesFromLockfile } from './trpc-versions.ts';
import { ROOT } from './pnpm-json.ts';

const { values } = parseArgs({ options: { lockfile: { type: 'string', default: `${ROOT}pnpm-lock.yaml` } } });
const report = checkTrpcVersions(trpcUsesFromLockfile(await readFile(values.lockfile, 'utf8')));
for (const problem of report.problems) console.error(problem);
if (!report.ok) process.exit(1);
const [version, where] = Object.entries(report.versions)[0]!;
console.log(`@trpc/*: all ${where.length} uses on ${version}`);
