// What `pnpm check:alerts` checks beyond promtool: every alert has a unit test that expects it to
// fire, every runbook link points at a heading of docs/operations.md, and the metric names the
// rules (and the dashboard) use.

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const match = /^#{1,6}\s+(.*)$/.exec(line);
    if (!match) continue;
    anchors.add(
      match[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

export function alertNames(rules: string): string[] {
  return [...rules.matchAll(/^\s*-\s*alert:\s*(\S+)\s*$/gm)].map((match) => match[1]!);
}

/** Alerts some test case expects to fire (an `alertname:` followed by a non-empty `exp_alerts:`). */
export function alertsTestedFiring(tests: string): Set<string> {
  const firing = new Set<string>();
  const cases = tests.split(/^\s*-\s*eval_time:/m).slice(1);
  for (const entry of cases) {
    const name = /alertname:\s*(\S+)/.exec(entry)?.[1];
    if (name && /exp_alerts:\s*\n\s*-\s*exp_labels:/.test(entry)) firing.add(name);
  }
  return firing;
}

export function runbookAnchors(rules: string): string[] {
  return [...rules.matchAll(/runbook_url:\s*"[^"#]*#([^"]+)"/g)].map((match) => match[1]!);
}

/** Series families named in PromQL: bastion_*, process_* and nodejs_* (histogram suffixes folded). */
export function metricFamilies(text: string): Set<string> {
  const families = new Set<string>();
  for (const match of text.matchAll(/\b((?:bastion|process|nodejs)_[a-z0-9_]+)/g)) {
    families.add(match[1]!.replace(/_(bucket|count|sum)$/, ''));
  }
  return families;
}

export function problemsOf(options: { rules: string; tests: string; operations: string }): string[] {
  const problems: string[] = [];
  const firing = alertsTestedFiring(options.tests);
  for (const alert of alertNames(options.rules)) {
    if (!firing.has(alert)) problems.push(`alert ${alert} has no test that expects it to fire (ops/prometheus/alerts.test.yml)`);
  }
  const anchors = headingAnchors(options.operations);
  const names = alertNames(options.rules);
  const links = runbookAnchors(options.rules);
  if (links.length < names.length) problems.push(`${names.length - links.length} alerts have no runbook_url`);
  for (const anchor of new Set(links)) {
    if (!anchors.has(anchor)) problems.push(`runbook link #${anchor} is no heading of docs/operations.md`);
  }
  return problems;
}
