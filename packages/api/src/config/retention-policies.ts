/**
 * The one retention policy table (ADR 086): how long each data class is kept, in seconds (`null`:
 * until its owner deletes it). `RETENTION=<class>=<n><s|m|h|d>|off,…` overrides entries; the daily
 * `retention` job (features/retention/retention.job.ts) applies them, one pruner per class.
 *
 * To add a class (at merge): an entry here and its pruner in features/retention/pruners.ts — the
 * compiler then requires both. API keys are account data, erased with the account, not aged out.
 */
const DAY = 86_400;

export const DEFAULT_RETENTION_POLICIES = {
  security_events: { seconds: 365 * DAY, what: 'Security events (sign-ins, lockouts, …): 1 year' },
  audit_log: { seconds: 2 * 365 * DAY, what: 'Audit log entries: 2 years, pruned behind a signed checkpoint' },
  expired_sessions: { seconds: 30 * DAY, what: 'Sessions 30 days after they expired or were revoked (with their refresh tokens)' },
  mail_outbox: { seconds: 7 * DAY, what: 'The development mail outbox: 7 days' },
  assistant_conversations: { seconds: null, what: 'Assistant conversations not updated for this long (kept by default)' },
  assistant_requests: { seconds: DAY, what: 'Assistant request ids with their stored replies (what makes a retried call idempotent): 24 hours' },
  data_exports: { seconds: DAY, what: 'Data-export requests and archives: 24 hours' },
  completed_jobs: { seconds: 7 * DAY, what: 'Finished background jobs (their data may hold addresses): 7 days' },
  auth_throttle: { seconds: DAY, what: 'Sign-in throttle windows past their window and lock: 1 day' },
  email_changes: { seconds: 30 * DAY, what: 'Email-address changes (the old and the new address) whose links can no longer work: 30 days' },
  webhook_deliveries: { seconds: 30 * DAY, what: 'Finished webhook deliveries (their bodies hold contact data), published outbox events and incoming receipts: 30 days (WEBHOOK_DELIVERY_RETENTION_DAYS)' },
} as const satisfies Record<string, { seconds: number | null; what: string }>;

export type RetentionDataClass = keyof typeof DEFAULT_RETENTION_POLICIES;
export type RetentionPolicies = Record<RetentionDataClass, number | null>;

export function isRetentionDataClass(name: string): name is RetentionDataClass {
  return Object.hasOwn(DEFAULT_RETENTION_POLICIES, name);
}

/** The table with `RETENTION` overrides applied; later entries win. */
export function resolveRetentionPolicies(overrides: readonly { dataClass: string; seconds: number | null }[]): RetentionPolicies {
  const policies = Object.fromEntries(Object.entries(DEFAULT_RETENTION_POLICIES).map(([name, policy]) => [name, policy.seconds])) as RetentionPolicies;
  for (const override of overrides) if (isRetentionDataClass(override.dataClass)) policies[override.dataClass] = override.seconds;
  return policies;
}
