import { describe, expect, it } from 'vitest';
import { alertNames, alertsTestedFiring, headingAnchors, metricFamilies, problemsOf } from './alert-rules.ts';

const rules = `groups:
  - name: g
    rules:
      - alert: Fires
        expr: sum(rate(bastion_trpc_request_duration_seconds_count[5m])) > 1
        annotations:
          runbook_url: "docs/operations.md#runbook-database-down"
      - alert: Untested
        expr: bastion_ready == 0
        annotations:
          runbook_url: "docs/operations.md#runbook-nowhere"
`;
const tests = `tests:
  - name: a
    alert_rule_test:
      - eval_time: 1m
        alertname: Untested
      - eval_time: 5m
        alertname: Fires
        exp_alerts:
          - exp_labels: { severity: page }
`;

describe('alert rule checks', () => {
  it('reads alert names, firing tests and metric families', () => {
    expect(alertNames(rules)).toEqual(['Fires', 'Untested']);
    expect([...alertsTestedFiring(tests)]).toEqual(['Fires']);
    expect([...metricFamilies(rules)].sort()).toEqual(['bastion_ready', 'bastion_trpc_request_duration_seconds']);
  });

  it('makes GitHub heading anchors', () => {
    expect(headingAnchors('## Runbook: database down\n### Backups and restore (PostgreSQL 15)\n')).toEqual(
      new Set(['runbook-database-down', 'backups-and-restore-postgresql-15']),
    );
  });

  it('names an alert tested only silent and a runbook link that resolves nowhere', () => {
    expect(problemsOf({ rules, tests, operations: '## Runbook: database down\n' })).toEqual([
      'alert Untested has no test that expects it to fire (ops/prometheus/alerts.test.yml)',
      'runbook link #runbook-nowhere is no heading of docs/operations.md',
    ]);
  });
});
