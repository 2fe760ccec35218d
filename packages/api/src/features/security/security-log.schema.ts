import { z } from 'zod';
import type { SecurityEventType } from './events.ts';

/**
 * The kinds a person filters the log by. `alerts` are the events worth a second look: failed
 * sign-ins and codes, lockouts, a reused refresh token, a refused API key.
 */
export const SECURITY_EVENT_KINDS = {
  alerts: ['login_failed', 'two_factor_failed', 'account_locked', 'account_throttled', 'refresh_token_reused', 'api_key_refused', 'account_disabled'],
  sign_ins: ['login_succeeded', 'login_failed', 'logout', 'two_factor_failed', 'recovery_code_used', 'account_locked', 'account_throttled', 'account_unlocked'],
  sessions: ['session_revoked', 'sessions_revoked', 'refresh_token_reused', 'logout'],
  account: [
    'user_registered',
    'email_verified',
    'email_change_requested',
    'email_changed',
    'email_change_reverted',
    'profile_updated',
    'password_reset_requested',
    'password_reset',
    'password_changed',
    'account_disabled',
  ],
  two_factor: ['two_factor_enabled', 'two_factor_disabled', 'two_factor_failed', 'recovery_code_used', 'recovery_codes_regenerated'],
  api_keys: ['api_key_created', 'api_key_revoked', 'api_key_refused'],
} as const satisfies Record<string, readonly SecurityEventType[]>;

export type SecurityEventKind = keyof typeof SECURITY_EVENT_KINDS;

export const securityLogInput = z
  .object({
    /** Opaque: the `nextCursor` of the previous page. */
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100).default(20),
    /** Only events of this kind (SECURITY_EVENT_KINDS); all when absent. */
    kind: z.enum(Object.keys(SECURITY_EVENT_KINDS) as [SecurityEventKind, ...SecurityEventKind[]]).optional(),
  })
  .optional();

export const securityEventOutput = z.object({
  id: z.uuid(),
  type: z.string().regex(/^[a-z][a-z0-9_]*$/),
  createdAt: z.iso.datetime(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  device: z.string(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

export const securityLogOutput = z.object({
  items: z.array(securityEventOutput),
  nextCursor: z.string().nullable(),
});
