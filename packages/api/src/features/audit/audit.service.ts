import { desc, sql } from 'drizzle-orm';
import { schema, withTransaction, type Database, type Transaction } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { RequestInfo } from '../../context.ts';
import type { AuditAction } from './actions.ts';
import { chainHash, GENESIS_HASH } from './canonical.ts';

/** The columns of an audit entry as it is read back (listed, exported, verified). */
export const auditEntryColumns = {
  seq: schema.auditLog.seq,
  at: schema.auditLog.at,
  actorType: schema.auditLog.actorType,
  actorId: schema.auditLog.actorId,
  action: schema.auditLog.action,
  subjectId: schema.auditLog.subjectId,
  requestId: schema.auditLog.requestId,
  ip: schema.auditLog.ip,
  detail: schema.auditLog.detail,
  hash: schema.auditLog.hash,
};

/** The advisory lock every audit writer (and audit_prune) takes: one chain, one writer at a time. */
export const AUDIT_LOCK_KEY = 7_262_021_080;

/** Who acted: a user, or the system (a job or command, named). */
export type AuditActor = { type: 'user'; id: string } | { type: 'system'; id: string };

export interface AuditEntry {
  actor: AuditActor;
  action: AuditAction;
  /** The user the action is about. */
  subjectId?: string | null;
  /** What and why, e.g. `{ reason, from, to }`. Never a secret, a token or an address: ids go in actor/subject. */
  detail?: Record<string, unknown>;
}

/** What the writer needs from its caller: the key, and the request being served (if any). */
export interface AuditContext {
  config: Pick<AppConfig, 'audit'>;
  request?: Pick<RequestInfo, 'requestId' | 'ip'> | null;
}

export const userActor = (userId: string): AuditActor => ({ type: 'user', id: userId });
export const systemActor = (name: string): AuditActor => ({ type: 'system', id: name });

/**
 * Appends one entry to the audit log, inside the caller's transaction: the entry commits (or rolls
 * back) with the change it records. The transaction advisory lock serializes writers until commit,
 * so each entry chains onto the one committed before it, whatever the number of processes.
 */
export async function recordAudit(tx: Transaction, ctx: AuditContext, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
  const { auditLog, auditCheckpoints } = schema;
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
  const [last] = await tx.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  // audit_prune always keeps the newest entry; the checkpoint is the fallback all the same.
  const previous =
    last ??
    (await tx.select({ seq: auditCheckpoints.throughSeq, hash: auditCheckpoints.hash }).from(auditCheckpoints).orderBy(desc(auditCheckpoints.throughSeq)).limit(1))[0] ??
    { seq: 0, hash: GENESIS_HASH };
  const row = {
    seq: previous.seq + 1,
    // Taken under the lock, so time follows the chain's order. Millisecond precision survives the round trip.
    at: new Date(),
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    action: entry.action,
    subjectId: entry.subjectId ?? null,
    requestId: ctx.request?.requestId ?? null,
    ip: ctx.request?.ip ?? null,
    detail: entry.detail ?? {},
  };
  const hash = chainHash(ctx.config.audit.checkpointKey, previous.hash, row);
  await tx.insert(auditLog).values({ ...row, prevHash: previous.hash, hash });
  return { seq: row.seq, hash };
}

/** `recordAudit` in a transaction of its own, for actions that change nothing else in the database. */
export function recordAuditNow(db: Database, ctx: AuditContext, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
  return withTransaction(db, (tx) => recordAudit(tx, ctx, entry));
}

/** The one module features call: `audit.record(tx, ctx, { actor, action, subjectId, detail })`. */
export const audit = { record: recordAudit, recordNow: recordAuditNow, user: userActor, system: systemActor };
