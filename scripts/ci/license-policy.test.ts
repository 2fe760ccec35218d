import { describe, expect, it } from 'vitest';
import { checkLicenses, satisfies, type LicensePolicy, type PnpmLicenses } from './license-policy.ts';

const policy: LicensePolicy = { allowed: ['MIT', 'ISC', 'Apache-2.0', 'BSD-3-Clause', 'BlueOak-1.0.0'], exceptions: [] };

const clean: PnpmLicenses = {
  MIT: [{ name: 'express', versions: ['5.1.0'], license: 'MIT' }, { name: 'cookie', versions: ['1.0.2', '0.7.2'], license: 'MIT' }],
  'BlueOak-1.0.0': [{ name: 'lru-cache', versions: ['11.5.3'], license: 'BlueOak-1.0.0' }],
  '(MIT OR CC0-1.0)': [{ name: 'type-fest', versions: ['5.10.0'], license: '(MIT OR CC0-1.0)' }],
};

describe('checkLicenses', () => {
  it('passes a tree whose licenses are all allowed', () => {
    const report = checkLicenses(clean, policy);
    expect(report).toMatchObject({ ok: true, checked: 5, findings: [] });
  });

  it('fails on a GPL, AGPL or SSPL package', () => {
    const tree: PnpmLicenses = {
      ...clean,
      'AGPL-3.0-or-later': [{ name: 'ua-parser-js', versions: ['2.0.3'], license: 'AGPL-3.0-or-later' }],
      'GPL-2.0': [{ name: 'some-gpl', versions: ['1.0.0'], license: 'GPL-2.0' }],
      'SSPL-1.0': [{ name: 'some-sspl', versions: ['3.1.0'], license: 'SSPL-1.0' }],
    };
    const report = checkLicenses(tree, policy);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      { package: 'ua-parser-js@2.0.3', license: 'AGPL-3.0-or-later', problem: 'forbidden' },
      { package: 'some-gpl@1.0.0', license: 'GPL-2.0', problem: 'forbidden' },
      { package: 'some-sspl@3.1.0', license: 'SSPL-1.0', problem: 'forbidden' },
    ]);
  });

  it('fails on a missing or unlisted license unless that exact version is excepted', () => {
    const tree: PnpmLicenses = {
      Unknown: [{ name: 'mystery', versions: ['0.1.0', '0.2.0'], license: 'Unknown' }],
      'LGPL-3.0': [{ name: 'lesser', versions: ['2.0.0'], license: 'LGPL-3.0' }],
    };
    expect(checkLicenses(tree, policy).findings.map((f) => [f.package, f.problem])).toEqual([
      ['mystery@0.1.0', 'unknown'],
      ['mystery@0.2.0', 'unknown'],
      ['lesser@2.0.0', 'not-allowed'],
    ]);
    const excepted = checkLicenses(tree, {
      ...policy,
      exceptions: [
        { package: 'mystery@0.1.0', license: 'Unknown', reason: 'LICENSE file is MIT; package.json omits the field' },
        { package: 'lesser@2.0.0', license: 'LGPL-3.0', reason: 'dynamically linked, unmodified' },
        { package: 'gone@1.0.0', license: 'Unknown', reason: 'no longer installed' },
      ],
    });
    expect(excepted.findings.map((f) => f.package)).toEqual(['mystery@0.2.0']);
    expect(excepted.unusedExceptions).toEqual(['gone@1.0.0']);
  });

  it('never lets an exception or the allowed list admit a forbidden license', () => {
    const tree: PnpmLicenses = { 'GPL-3.0': [{ name: 'copyleft', versions: ['1.0.0'], license: 'GPL-3.0' }] };
    const report = checkLicenses(tree, {
      allowed: [...policy.allowed, 'GPL-3.0'],
      exceptions: [{ package: 'copyleft@1.0.0', license: 'GPL-3.0', reason: 'we promise' }, { package: 'copyleft', license: 'MIT', reason: '' }],
    });
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([{ package: 'copyleft@1.0.0', license: 'GPL-3.0', problem: 'forbidden' }]);
    expect(report.policyErrors).toEqual(['GPL-3.0 may not be on the allowed list', 'exception copyleft has no reason', 'exception copyleft is not an exact package@version']);
  });

  it('does not accept an exception reviewed for another license', () => {
    const tree: PnpmLicenses = { 'BUSL-1.1': [{ name: 'relicensed', versions: ['2.0.0'], license: 'BUSL-1.1' }] };
    const report = checkLicenses(tree, { ...policy, exceptions: [{ package: 'relicensed@2.0.0', license: 'Unknown', reason: 'was MIT' }] });
    expect(report.findings).toEqual([{ package: 'relicensed@2.0.0', license: 'BUSL-1.1', problem: 'not-allowed' }]);
  });
});

describe('satisfies (SPDX expressions)', () => {
  const allowed = new Set(policy.allowed);
  it.each([
    ['MIT', true],
    ['(MIT OR GPL-3.0)', true],
    ['GPL-2.0 OR MIT', true],
    ['(MIT AND ISC)', true],
    ['MIT AND GPL-3.0', false],
    ['Apache-2.0 WITH LLVM-exception', true],
    ['((MIT OR GPL-2.0) AND (ISC OR GPL-3.0))', true],
    ['SEE LICENSE IN LICENSE.md', false],
    ['MIT OR', false],
    ['', false],
  ])('%s → %s', (expression, expected) => {
    expect(satisfies(expression, allowed)).toBe(expected);
  });
});
