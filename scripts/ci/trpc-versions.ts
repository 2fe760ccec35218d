/**
 * `@trpc/react-query` depends on `@trpc/client` and `@trpc/server` at its own exact version, so
 * every `@trpc/*` package in the workspace must resolve to one version, and each workspace
 * package must pin it exactly (a range lets an update move one of them alone).
 */

export interface TrpcUse {
  /** Workspace package directory (`.`, `apps/web`) or `(lockfile)` for an entry in `packages:`. */
  where: string;
  name: string;
  /** What the manifest asked for; absent for lockfile package entries. */
  specifier?: string;
  version: string;
}

const TRPC = /^@trpc\//;
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** Reads the `@trpc/*` uses from a pnpm v9 lockfile (importers and packages sections). */
export function trpcUsesFromLockfile(lockfile: string): TrpcUse[] {
  const uses: TrpcUse[] = [];
  let section = '';
  let importer = '';
  let dependency: { name: string; specifier?: string } | null = null;
  for (const line of lockfile.split('\n')) {
    const top = /^(\S[^:]*):/.exec(line);
    if (top) {
      section = top[1]!;
      continue;
    }
    if (section === 'packages') {
      const key = /^ {2}'?(@trpc\/[^@']+)@([^(':]+)/.exec(line);
      if (key) uses.push({ where: '(lockfile)', name: key[1]!, version: key[2]! });
    } else if (section === 'importers') {
      const importerKey = /^ {2}(\S[^:]*):\s*$/.exec(line);
      if (importerKey) importer = importerKey[1]!.replace(/^'|'$/g, '');
      const dependencyKey = /^ {6}'?([^':]+)'?:\s*$/.exec(line);
      if (dependencyKey) dependency = TRPC.test(dependencyKey[1]!) ? { name: dependencyKey[1]! } : null;
      const field = /^ {8}(specifier|version): '?([^'\s]+)'?\s*$/.exec(line);
      if (field && dependency) {
        if (field[1] === 'specifier') dependency.specifier = field[2]!;
        else uses.push({ where: importer, name: dependency.name, specifier: dependency.specifier, version: field[2]!.replace(/\(.*$/, '') });
      }
    }
  }
  return uses;
}

export interface TrpcReport {
  ok: boolean;
  /** Each version in use and where. */
  versions: Record<string, string[]>;
  problems: string[];
}

export function checkTrpcVersions(uses: readonly TrpcUse[]): TrpcReport {
  const versions: Record<string, string[]> = {};
  for (const use of uses) (versions[use.version] ??= []).push(`${use.name} (${use.where})`);
  const problems: string[] = [];
  if (uses.length === 0) problems.push('no @trpc/* package found: is this the right lockfile?');
  if (Object.keys(versions).length > 1) {
    problems.push(`@trpc/* packages are on ${Object.keys(versions).length} versions; they must all be on one: ${Object.entries(versions).map(([version, where]) => `${version}: ${where.join(', ')}`).join('; ')}`);
  }
  for (const use of uses) {
    if (use.specifier !== undefined && !EXACT.test(use.specifier)) {
      problems.push(`${use.where}/package.json asks for ${use.name}@${use.specifier}: pin the exact version`);
    }
  }
  return { ok: problems.length === 0, versions, problems };
}
