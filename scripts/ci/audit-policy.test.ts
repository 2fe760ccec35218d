import { describe, expect, it } from 'vitest';
import { auditWithRetries, evaluateAudit, evaluateUnavailable, expired, parseAuditOutput, type AuditAllowlist, type AuditAttempt, type PnpmAuditReport } from './audit-policy.ts';

const today = new Date('2026-12-01T10:00:00Z');

function advisory(id: number, ghsa: string, module_name: string, severity: PnpmAuditReport['advisories'][string]['severity']) {
  return { id, github_advisory_id: ghsa, module_name, severity, title: `${module_name} is vulnerable`, patched_versions: '>=9.9.9', findings: [{ version: '1.0.0', paths: [`apps/server>${module_name}`] }] };
}

const report: PnpmAuditReport = {
  advisories: {
    '1001': advisory(1001, 'GHSA-aaaa-aaaa-aaaa', 'path-to-regexp', 'high'),
    '1002': advisory(1002, 'GHSA-bbbb-bbbb-bbbb', 'cookie', 'moderate'),
    '1003': advisory(1003, 'GHSA-cccc-cccc-cccc', 'jsonwebtoken', 'critical'),
  },
};

describe('evaluateAudit', () => {
  it('passes a report with no advisories', () => {
    expect(evaluateAudit({ advisories: {} }, { advisories: [] }, today)).toMatchObject({ ok: true, failing: [], problems: [] });
  });

  it('fails on high and critical advisories, and only reports the lower ones', () => {
    const verdict = evaluateAudit(report, { advisories: [] }, today);
    expect(verdict.ok).toBe(false);
    expect(verdict.failing.map((a) => [a.id, a.package, a.severity])).toEqual([
      ['GHSA-aaaa-aaaa-aaaa', 'path-to-regexp', 'high'],
      ['GHSA-cccc-cccc-cccc', 'jsonwebtoken', 'critical'],
    ]);
    expect(verdict.reported.map((a) => a.id)).toEqual(['GHSA-bbbb-bbbb-bbbb']);
  });

  it('passes when every high/critical advisory is allowed by an unexpired entry (GHSA id or npm number)', () => {
    const allowlist: AuditAllowlist = {
      advisories: [
        { id: 'GHSA-aaaa-aaaa-aaaa', reason: 'only reachable through a route pattern we write ourselves', expires: '2026-12-01' },
        { id: '1003', package: 'jsonwebtoken', reason: 'we never accept alg none', expires: '2027-01-15' },
        { id: 'GHSA-dddd-dddd-dddd', reason: 'fixed since', expires: '2027-01-15' },
      ],
    };
    const verdict = evaluateAudit(report, allowlist, today);
    expect(verdict).toMatchObject({ ok: true, failing: [], problems: [] });
    expect(verdict.allowed.map((a) => a.id)).toEqual(['GHSA-aaaa-aaaa-aaaa', 'GHSA-cccc-cccc-cccc']);
    expect(verdict.unused).toEqual(['GHSA-dddd-dddd-dddd']);
  });

  it('fails on an expired entry, which no longer allows its advisory, even when nothing else is wrong', () => {
    const stale = { id: 'GHSA-aaaa-aaaa-aaaa', reason: 'waiting for a fix', expires: '2026-11-30' };
    const verdict = evaluateAudit(report, { advisories: [stale, { id: 'GHSA-cccc-cccc-cccc', reason: 'x', expires: '2027-01-01' }] }, today);
    expect(verdict.ok).toBe(false);
    expect(verdict.failing.map((a) => a.id)).toEqual(['GHSA-aaaa-aaaa-aaaa']);
    expect(verdict.problems).toEqual(['allow-list entry GHSA-aaaa-aaaa-aaaa expired on 2026-11-30: fix the advisory or review the entry again']);
    expect(evaluateAudit({ advisories: {} }, { advisories: [stale] }, today).ok).toBe(false);
  });

  it('fails on an entry without a reason or a readable expiry, and one naming another package', () => {
    const verdict = evaluateAudit(report, {
      advisories: [
        { id: 'GHSA-aaaa-aaaa-aaaa', reason: ' ', expires: '2027-01-01' },
        { id: 'GHSA-cccc-cccc-cccc', package: 'not-jsonwebtoken', reason: 'x', expires: 'next month' },
      ],
    }, today);
    expect(verdict.failing.map((a) => a.id)).toEqual(['GHSA-aaaa-aaaa-aaaa', 'GHSA-cccc-cccc-cccc']);
    expect(verdict.problems).toEqual([
      'allow-list entry GHSA-aaaa-aaaa-aaaa has no reason',
      'allow-list entry GHSA-cccc-cccc-cccc has no valid expiry date (YYYY-MM-DD): next month',
    ]);
  });
});

describe('an unreachable audit endpoint', () => {
  const refused = 'ERR_PNPM_AUDIT_BAD_RESPONSE: The audit endpoint responded with 405: .';

  it('is retried, then fails', async () => {
    let runs = 0;
    const slept: number[] = [];
    const attempt = await auditWithRetries(async (): Promise<AuditAttempt> => (runs++, { unavailable: 'FetchError: ETIMEDOUT' }), { tries: 3, delaysMs: [10, 20], sleep: async (ms) => void slept.push(ms) });
    expect(runs).toBe(3);
    expect(slept).toEqual([10, 20]);
    expect('unavailable' in attempt && evaluateUnavailable(attempt.unavailable, { advisories: [] }, today)).toEqual({
      ok: false,
      waived: false,
      problems: ['the audit endpoint gave no report: FetchError: ETIMEDOUT'],
    });
  });

  it('stops retrying once a report arrives', async () => {
    const answers: AuditAttempt[] = [{ unavailable: 'ECONNRESET' }, { report: { advisories: {} } }, { unavailable: 'never asked' }];
    const attempt = await auditWithRetries(async () => answers.shift()!, { tries: 3, delaysMs: [0], sleep: async () => {} });
    expect(attempt).toEqual({ report: { advisories: {} } });
    expect(answers).toHaveLength(1);
  });

  it('passes only under an unexpired waiver matching that exact error', () => {
    const waiver = { matches: 'responded with 405', reason: 'read-only registry mirror', expires: '2026-12-31' };
    expect(evaluateUnavailable(refused, { advisories: [], unavailable: waiver }, today)).toEqual({ ok: true, waived: true, problems: [] });
    expect(evaluateUnavailable('FetchError: ETIMEDOUT', { advisories: [], unavailable: waiver }, today).ok).toBe(false);
    const lapsed = evaluateUnavailable(refused, { advisories: [], unavailable: { ...waiver, expires: '2026-11-30' } }, today);
    expect(lapsed.ok).toBe(false);
    expect(lapsed.problems).toEqual(['the audit endpoint gave no report: ' + refused, 'the "unavailable" waiver expired on 2026-11-30: fix the advisory or review the entry again']);
  });
});

describe('parseAuditOutput', () => {
  it('reads a report, pnpm’s error object, and output that is not JSON at all', () => {
    expect(parseAuditOutput(JSON.stringify({ actions: [], advisories: {}, metadata: {} }))).toEqual({ report: { actions: [], advisories: {}, metadata: {} } });
    expect(parseAuditOutput(JSON.stringify({ error: { code: 'ERR_PNPM_AUDIT_BAD_RESPONSE', message: 'responded with 405' } }))).toEqual({ unavailable: 'ERR_PNPM_AUDIT_BAD_RESPONSE: responded with 405' });
    expect(parseAuditOutput('', 'getaddrinfo ENOTFOUND')).toEqual({ unavailable: 'getaddrinfo ENOTFOUND' });
  });

  it('counts the last day of an expiry as still valid, in UTC', () => {
    expect(expired('2026-12-01', today)).toBe(false);
    expect(expired('2026-11-30', today)).toBe(true);
    expect(expired('2026-13-40', today)).toBe('invalid');
  });
});
