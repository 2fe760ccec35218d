import { and, gt, isNotNull, isNull, lt, lte, not, or, sql } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { RetentionDataClass } from '../../config/retention-policies.ts';
import { JOB_SCHEMA } from '../../lib/job-queue.ts';
import { EMAIL_CHANGE_TTL_SECONDS, EMAIL_UNDO_TTL_SECONDS } from '../auth/email-change.schema.ts';
import { pruneAuditLog } from '../audit/prune.ts';
import { pruneWebhooks } from '../webhooks/prune.job.ts';

/** Removes what of one data class is older than `seconds`; returns the count. Idempotent. */
export type Pruner = (deps: { db: Database; config: AppConfig }, seconds: number) => Promise<number>;

const olderThan = (seconds: number) => sql`now() - make_interval(secs => ${seconds})`;

/** Sign-in throttle rows whose window is over and which hold no live lock (also pruned every 5 minutes by prune-counters). */
export async function pruneThrottles(db: Database, seconds: number): Promise<number> {
  const t = schema.authThrottle;
  const removed = await db
    .delete(t)
    .where(and(lt(t.windowStartedAt, olderThan(seconds)), or(isNull(t.lockedUntil), lte(t.lockedUntil, sql`now()`))))
    .returning({ key: t.key });
  return removed.length;
}

/** One pruner per data class of config/retention-policies.ts; the compiler keeps the two in step. */
export const PRUNERS: Record<RetentionDataClass, Pruner> = {
  // The hourly webhook-prune job runs the same (and drops rotated-out secrets); here it is counted with the rest.
  webhook_deliveries: async ({ db }, seconds) => {
    const removed = await pruneWebhooks(db, seconds / 86_400);
    return removed.deliveries + removed.events + removed.receipts;
  },
  security_events: async ({ db }, seconds) => {
    const e = schema.securityEvents;
    return (await db.delete(e).where(lt(e.createdAt, olderThan(seconds))).returning({ id: e.id })).length;
  },
  audit_log: ({ db, config }, seconds) => pruneAuditLog(db, config.audit.checkpointKey, seconds),
  expired_sessions: async ({ db }, seconds) => {
    const s = schema.sessions;
    // Refresh tokens go with their session (cascade).
    return (await db.delete(s).where(or(lt(s.expiresAt, olderThan(seconds)), lt(s.revokedAt, olderThan(seconds)))).returning({ id: s.id })).length;
  },
  mail_outbox: async ({ db }, seconds) => {
    const m = schema.mailOutbox;
    return (await db.delete(m).where(lt(m.createdAt, olderThan(seconds))).returning({ id: m.id })).length;
  },
  assistant_conversations: async ({ db }, seconds) => {
    const c = schema.assistantConversations;
    return (await db.delete(c).where(lt(c.updatedAt, olderThan(seconds))).returning({ id: c.id })).length;
  },
  assistant_requests: async ({ db }, seconds) => {
    const r = schema.assistantRequests;
    // A retry comes within seconds or minutes; past the age, the id only holds a copy of a reply.
    return (await db.delete(r).where(lt(r.createdAt, olderThan(seconds))).returning({ requestId: r.requestId })).length;
  },
  data_exports: async ({ db }, seconds) => {
    const d = schema.dataExports;
    return (await db.delete(d).where(and(lt(d.requestedAt, olderThan(seconds)), or(isNull(d.expiresAt), lt(d.expiresAt, sql`now()`)))).returning({ id: d.id })).length;
  },
  completed_jobs: async ({ db }, seconds) => {
    const rows = await db.execute(
      sql`delete from ${sql.identifier(JOB_SCHEMA)}.job where state in ('completed', 'cancelled', 'failed') and completed_on < ${olderThan(seconds)} returning id`,
    );
    return rows.length;
  },
  auth_throttle: ({ db }, seconds) => pruneThrottles(db, seconds),
  email_changes: async ({ db }, seconds) => {
    const c = schema.emailChanges;
    // Never a change whose link still works, however short the age: a pending confirmation, or a
    // confirmed change its old address may still undo. The history stays in security_events.
    const confirmable = and(isNull(c.confirmedAt), isNull(c.supersededAt), gt(c.createdAt, olderThan(EMAIL_CHANGE_TTL_SECONDS)));
    const undoable = and(isNotNull(c.confirmedAt), isNull(c.revertedAt), gt(c.confirmedAt, olderThan(EMAIL_UNDO_TTL_SECONDS)));
    return (await db.delete(c).where(and(lt(c.createdAt, olderThan(seconds)), not(or(confirmable, undoable)!))).returning({ id: c.id })).length;
  },
};
