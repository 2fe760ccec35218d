// A small secret scanner (gitleaks is not in Debian): key-shaped strings and private keys in the
// tracked tree. A finding is allowed only by an entry of .ci/secret-scan-allowlist.json naming the
// file, the rule and the exact match, with a reason (a test fixture, a documented example).

export interface SecretRule {
  id: string;
  pattern: RegExp;
}

export const SECRET_RULES: SecretRule[] = [
  { id: 'private-key', pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g },
  { id: 'aws-access-key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { id: 'github-token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g },
  { id: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { id: 'openai-key', pattern: /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b/g },
  { id: 'stripe-key', pattern: /\b[rs]k_live_[A-Za-z0-9]{20,}\b/g },
  { id: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { id: 'bastion-api-key', pattern: /\bbst_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{32,}/g },
  { id: 'webhook-secret', pattern: /\bwhsec_[A-Za-z0-9+/]{24,}={0,2}/g },
  { id: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}/g },
  { id: 'url-with-password', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"`]+:[^\s@/'"`$<>{}]{6,}@[^\s'"`]+/g },
];

export interface Finding {
  file: string;
  line: number;
  rule: string;
  match: string;
}

export interface AllowEntry {
  file: string;
  rule: string;
  match: string;
  reason: string;
}

export function scanText(file: string, text: string, rules: SecretRule[] = SECRET_RULES): Finding[] {
  const findings: Finding[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    for (const rule of rules) {
      for (const match of line.matchAll(rule.pattern)) findings.push({ file, line: index + 1, rule: rule.id, match: match[0] });
    }
  });
  return findings;
}

/** Findings no allow-list entry covers, and entries that cover nothing any more (stale). */
export function applyAllowList(findings: Finding[], allow: AllowEntry[]): { blocked: Finding[]; stale: AllowEntry[] } {
  const covers = (entry: AllowEntry, finding: Finding) => entry.file === finding.file && entry.rule === finding.rule && entry.match === finding.match;
  const problems = allow.filter((entry) => !entry.reason?.trim());
  if (problems.length) throw new Error(`allow-list entries need a reason: ${problems.map((entry) => entry.file).join(', ')}`);
  return {
    blocked: findings.filter((finding) => !allow.some((entry) => covers(entry, finding))),
    stale: allow.filter((entry) => !findings.some((finding) => covers(entry, finding))),
  };
}

/** Shows enough of a match to find it, never the whole secret. */
export function redact(match: string): string {
  return match.length <= 12 ? `${match.slice(0, 4)}…` : `${match.slice(0, 8)}…${match.slice(-2)} (${match.length} chars)`;
}
