/**
 * Every action the audit log records. Features add theirs here; the names are stable (they are
 * filtered on and exported), `<subject>.<verb>` in the past tense.
 */
export const AUDIT_ACTIONS = [
  // Administration (admin.users.*)
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'user.unlocked',
  'user.sessions_revoked',
  'user.two_factor_reset',
  'admin.created',
  // The audit log itself
  'audit.exported',
  'audit.pruned',
  // Data protection (account.*)
  'data_export.requested',
  'data_export.downloaded',
  'account.deletion_requested',
  'account.deletion_cancelled',
  'account.erased',
  'retention.ran',
  // Reserved for the API keys (issue 10) and webhooks (issue 11) features: record these from their
  // create/revoke/rotate handlers, inside the same transaction.
  'api_key.created',
  'api_key.revoked',
  'api_key.rotated',
  'webhook_endpoint.created',
  'webhook_endpoint.revoked',
  'webhook_endpoint.rotated',
  'webhook_endpoint.disabled',
  // Key management runs (keys:rotate and the like).
  'keys.resealed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
