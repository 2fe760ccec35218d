/**
 * `pnpm audit --prod` judged against the reviewed allow-list (.ci/audit-allowlist.json): a high or
 * critical advisory fails unless an entry names it with a reason and an expiry date; an expired
 * entry fails on its own so that every waiver is looked at again. An audit endpoint that cannot
 * be reached fails too, after a few tries: no answer is not a clean answer.
 */

export type Severity = 'info' | 'low' | 'moderate' | 'high' | 'critical';

/** The parts of `pnpm audit --json` output that the check reads. */
export interface PnpmAuditReport {
  advisories: Record<string, {
    id: number;
    github_advisory_id?: string;
    module_name: string;
    severity: Severity;
    title: string;
    url?: string;
    vulnerable_versions?: string;
    patched_versions?: string;
    findings?: { version: string; paths: string[] }[];
  }>;
}

export interface AuditAllowlist {
  /** Advisories accepted until `expires` (YYYY-MM-DD, the last day it holds). `id`: a GHSA id or npm advisory number. */
  advisories: { id: string; package?: string; reason: string; expires: string }[];
  /**
   * Accepts, until `expires`, an audit endpoint that answers with an error containing `matches`
   * (for instance a registry that only serves GET). Unreachable for any other reason still fails.
   */
  unavailable?: { matches: string; reason: string; expires: string };
}

export interface AdvisorySummary {
  id: string;
  package: string;
  severity: Severity;
  title: string;
  url?: string;
  versions: string[];
  patched?: string;
}

export interface AuditVerdict {
  ok: boolean;
  /** High or critical, not allowed: these fail the check. */
  failing: AdvisorySummary[];
  /** High or critical, allowed by an unexpired entry. */
  allowed: AdvisorySummary[];
  /** Below the threshold: reported, never failing. */
  reported: AdvisorySummary[];
  problems: string[];
  /** Entries that matched no advisory: the fix landed, prune them. */
  unused: string[];
}

const FAILING: ReadonlySet<Severity> = new Set(['high', 'critical']);

/** Whether a YYYY-MM-DD expiry has passed on `today` (the expiry day itself still holds, in UTC). */
export function expired(expires: string, today: Date): boolean | 'invalid' {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || Number.isNaN(Date.parse(`${expires}T00:00:00Z`))) return 'invalid';
  return today.toISOString().slice(0, 10) > expires;
}

function entryProblems(label: string, entry: { reason: string; expires: string }, today: Date): string[] {
  const problems: string[] = [];
  if (!entry.reason?.trim()) problems.push(`${label} has no reason`);
  const state = expired(entry.expires, today);
  if (state === 'invalid') problems.push(`${label} has no valid expiry date (YYYY-MM-DD): ${entry.expires}`);
  else if (state) problems.push(`${label} expired on ${entry.expires}: fix the advisory or review the entry again`);
  return problems;
}

/** Entries without a reason, or expired: each fails the check whatever the audit says. */
export function allowlistProblems(allowlist: AuditAllowlist, today: Date): string[] {
  const problems = allowlist.advisories.flatMap((entry) => entryProblems(`allow-list entry ${entry.id}`, entry, today));
  if (allowlist.unavailable) problems.push(...entryProblems('the "unavailable" waiver', allowlist.unavailable, today));
  return problems;
}

export function evaluateAudit(report: PnpmAuditReport, allowlist: AuditAllowlist, today: Date): AuditVerdict {
  const problems = allowlistProblems(allowlist, today);
  const verdict: AuditVerdict = { ok: false, failing: [], allowed: [], reported: [], problems, unused: [] };
  const used = new Set<string>();
  for (const advisory of Object.values(report.advisories)) {
    const summary: AdvisorySummary = {
      id: advisory.github_advisory_id ?? String(advisory.id),
      package: advisory.module_name,
      severity: advisory.severity,
      title: advisory.title,
      url: advisory.url,
      versions: [...new Set((advisory.findings ?? []).map((finding) => finding.version))],
      patched: advisory.patched_versions,
    };
    if (!FAILING.has(advisory.severity)) {
      verdict.reported.push(summary);
      continue;
    }
    const entry = allowlist.advisories.find(
      (candidate) => (candidate.id === summary.id || candidate.id === String(advisory.id)) && (!candidate.package || candidate.package === advisory.module_name),
    );
    // An expired or unexplained entry is already a problem above; it does not allow anything.
    if (entry && entryProblems('', entry, today).length === 0) {
      used.add(entry.id);
      verdict.allowed.push(summary);
    } else {
      verdict.failing.push(summary);
    }
  }
  verdict.unused = allowlist.advisories.map((entry) => entry.id).filter((id) => !used.has(id));
  verdict.ok = verdict.failing.length === 0 && verdict.problems.length === 0;
  return verdict;
}

/** An audit run: the report, or why the endpoint gave none. */
export type AuditAttempt = { report: PnpmAuditReport } | { unavailable: string };

/** Reads pnpm's JSON: `{ advisories }` on success (exit 1 when there are any), `{ error }` when the endpoint failed. */
export function parseAuditOutput(stdout: string, stderr = ''): AuditAttempt {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return { unavailable: (stderr || stdout).trim().slice(0, 500) || 'pnpm audit printed nothing' };
  }
  if (parsed && typeof parsed === 'object' && 'advisories' in parsed && typeof parsed.advisories === 'object' && parsed.advisories) {
    return { report: parsed as PnpmAuditReport };
  }
  const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
  return { unavailable: error ? `${error.code ?? 'error'}: ${error.message ?? ''}` : `unexpected pnpm audit output: ${stdout.slice(0, 200)}` };
}

/** Runs the audit up to `tries` times while the endpoint is unavailable, waiting `delaysMs[i]` between tries. */
export async function auditWithRetries(run: () => Promise<AuditAttempt>, options: { tries: number; delaysMs: number[]; sleep: (ms: number) => Promise<void>; onRetry?: (reason: string, attempt: number) => void }): Promise<AuditAttempt> {
  let attempt = await run();
  for (let i = 1; i < options.tries && 'unavailable' in attempt; i++) {
    options.onRetry?.(attempt.unavailable, i);
    await options.sleep(options.delaysMs[i - 1] ?? options.delaysMs.at(-1) ?? 0);
    attempt = await run();
  }
  return attempt;
}

/** When no report could be had: fails, unless an unexpired waiver covers exactly this error. */
export function evaluateUnavailable(reason: string, allowlist: AuditAllowlist, today: Date): { ok: boolean; problems: string[]; waived: boolean } {
  const waiver = allowlist.unavailable;
  const problems = allowlistProblems(allowlist, today);
  const waived = Boolean(waiver?.matches) && reason.includes(waiver!.matches) && (!waiver || entryProblems('', waiver, today).length === 0);
  if (!waived) problems.unshift(`the audit endpoint gave no report: ${reason}`);
  return { ok: problems.length === 0, problems, waived };
}
