import { Counter, type Registry } from 'prom-client';
import { schema } from '@bastion/db';
import type { Database } from '@bastion/db';
import type { Context } from '../../context.ts';

export type SecurityEventType =
  | 'login_succeeded'
  | 'login_failed'
  | 'logout'
  | 'session_revoked'
  | 'sessions_revoked'
  | 'refresh_token_reused'
  | 'user_registered'
  | 'account_locked'
  | 'account_throttled'
  | 'account_unlocked'
  | 'account_disabled'
  | 'email_verified'
  | 'email_change_requested'
  | 'email_changed'
  | 'email_change_reverted'
  | 'profile_updated'
  | 'password_reset_requested'
  | 'password_reset'
  | 'password_changed'
  | 'two_factor_enabled'
  | 'two_factor_disabled'
  | 'two_factor_failed'
  | 'recovery_code_used'
  | 'recovery_codes_regenerated'
  | 'api_key_created'
  | 'api_key_revoked'
  | 'api_key_refused'
  | 'oauth_failed'
  | 'password_set'
  | 'connected_account_linked'
  | 'connected_account_disconnected'
  | 'connected_account_revoked'
  | 'connected_account_needs_reauth'
  | 'provider_token_refreshed'
  | 'provider_token_refresh_failed'
  | 'provider_event_received';

const counters = new WeakMap<Registry, Counter<'type'>>();

/**
 * `bastion_security_events_total{type}`: failed sign-ins, lockouts and reuse are worth alerting on.
 * The server registers it at start, so the family is exported (and alertable) before a first event.
 */
export function securityEventsCounter(registry: Registry): Counter<'type'> {
  let counter = counters.get(registry);
  if (!counter) {
    counter = new Counter({ name: 'bastion_security_events_total', help: 'Security events recorded, by type', labelNames: ['type'] as const, registers: [registry] });
    counters.set(registry, counter);
  }
  return counter;
}

/** Appends one event with the request's IP, user agent and id, and counts it. Never carries secrets. */
export async function recordSecurityEvent(
  ctx: Pick<Context, 'request' | 'metrics'> & { db: Database | Parameters<Parameters<Database['transaction']>[0]>[0] },
  type: SecurityEventType,
  userId: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await ctx.db.insert(schema.securityEvents).values({
    type,
    userId,
    ip: ctx.request.ip,
    userAgent: ctx.request.userAgent?.slice(0, 512) ?? null,
    requestId: ctx.request.requestId,
    details,
  });
  securityEventsCounter(ctx.metrics).inc({ type });
}
