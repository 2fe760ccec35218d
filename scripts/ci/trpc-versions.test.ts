import { describe, expect, it } from 'vitest';
import { checkTrpcVersions, trpcUsesFromLockfile } from './trpc-versions.ts';

function lockfile(versions: { web: string; webSpecifier?: string; api: string }): string {
  return `lockfileVersion: '9.0'

importers:

  apps/web:
    dependencies:
      '@trpc/react-query':
        specifier: ${versions.webSpecifier ?? versions.web}
        version: ${versions.web}(@tanstack/react-query@5.108.0(react@19.3.1))(@trpc/client@${versions.web}(typescript@5.9.3))(react@19.3.1)
      react:
        specifier: ^19.3.1
        version: 19.3.1

  packages/api:
    dependencies:
      '@trpc/server':
        specifier: ${versions.api}
        version: ${versions.api}(typescript@5.9.3)

packages:

  '@trpc/react-query@${versions.web}':
    peerDependencies:
      '@trpc/server': ${versions.web}

  '@trpc/server@${versions.api}':
    resolution: {integrity: sha512-x}

  react@19.3.1:
    resolution: {integrity: sha512-y}

snapshots:

  '@trpc/server@${versions.api}(typescript@5.9.3)':
    dependencies:
      typescript: 5.9.3
`;
}

describe('checkTrpcVersions', () => {
  it('passes when every @trpc/* package is on one exactly pinned version', () => {
    const uses = trpcUsesFromLockfile(lockfile({ web: '11.19.0', api: '11.19.0' }));
    expect(uses.map((use) => `${use.where} ${use.name}@${use.version}`)).toEqual([
      'apps/web @trpc/react-query@11.19.0',
      'packages/api @trpc/server@11.19.0',
      '(lockfile) @trpc/react-query@11.19.0',
      '(lockfile) @trpc/server@11.19.0',
    ]);
    expect(checkTrpcVersions(uses)).toMatchObject({ ok: true, problems: [] });
  });

  it('fails when one @trpc/* package moved to another version', () => {
    const report = checkTrpcVersions(trpcUsesFromLockfile(lockfile({ web: '11.19.0', api: '11.20.1' })));
    expect(report.ok).toBe(false);
    expect(Object.keys(report.versions).sort()).toEqual(['11.19.0', '11.20.1']);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatch(/2 versions.*11\.19\.0: @trpc\/react-query \(apps\/web\).*11\.20\.1: @trpc\/server \(packages\/api\)/);
  });

  it('fails when a workspace package asks for a range instead of the exact version', () => {
    const report = checkTrpcVersions(trpcUsesFromLockfile(lockfile({ web: '11.19.0', webSpecifier: '^11.19.0', api: '11.19.0' })));
    expect(report.problems).toEqual(['apps/web/package.json asks for @trpc/react-query@^11.19.0: pin the exact version']);
  });

  it('fails when it finds no @trpc/* package at all', () => {
    expect(checkTrpcVersions(trpcUsesFromLockfile("lockfileVersion: '9.0'\n")).ok).toBe(false);
  });
});
