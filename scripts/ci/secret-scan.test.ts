import { describe, expect, it } from 'vitest';
import { applyAllowList, redact, scanText } from './secret-scan.ts';

// Built at run time, so this file itself holds nothing key-shaped for the scanner to find.
const privateKey = ['-----BEGIN', 'OPENSSH PRIVATE KEY-----'].join(' ');
const awsKey = 'AKIA' + 'IOSFODNN7EXAMPLE';
const apiKey = `bst_${'a1b2c3d4'}_${'x'.repeat(43)}`;
const jwt = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'].join('.');
const url = `postgres://app:${'hunter2hunter2'}@db.internal:5432/app`;

describe('the secret scanner', () => {
  it('finds private keys, cloud and Bastion keys, JWTs and URLs with a password, with their line', () => {
    const text = ['ok line', privateKey, `AWS=${awsKey}`, `key: ${apiKey}`, `token ${jwt}`, `DATABASE_URL=${url}`].join('\n');
    expect(scanText('f.ts', text).map(({ line, rule }) => [line, rule])).toEqual([
      [2, 'private-key'],
      [3, 'aws-access-key'],
      [4, 'bastion-api-key'],
      [5, 'jwt'],
      [6, 'url-with-password'],
    ]);
  });

  it('passes placeholders: env references, elided URLs, short prefixes', () => {
    const text = ['REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379', 'DATABASE_URL=postgres://…/postgres', 'prefix bst_ and whsec_ alone', 'smtp://user:pass@host'].join('\n');
    expect(scanText('f.md', text)).toEqual([]);
  });

  it('allows only exact, reasoned entries and reports stale ones', () => {
    const findings = scanText('a.ts', `x = ${awsKey}\ny = ${apiKey}`);
    const { blocked, stale } = applyAllowList(findings, [
      { file: 'a.ts', rule: 'aws-access-key', match: awsKey, reason: 'the AWS documentation example key' },
      { file: 'b.ts', rule: 'jwt', match: jwt, reason: 'gone' },
    ]);
    expect(blocked.map((finding) => finding.rule)).toEqual(['bastion-api-key']);
    expect(stale.map((entry) => entry.file)).toEqual(['b.ts']);
    expect(() => applyAllowList(findings, [{ file: 'a.ts', rule: 'aws-access-key', match: awsKey, reason: ' ' }])).toThrow(/reason/);
  });

  it('never prints a whole secret', () => {
    expect(redact(apiKey)).not.toContain(apiKey.slice(8, 30));
    expect(redact(apiKey)).toMatch(/^bst_a1b2…xx \(56 chars\)$/);
  });
});
