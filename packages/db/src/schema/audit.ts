import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Append-only record of administrative, data-protection and configuration actions (ADR 080).
 * Each row chains to the previous one: `hash = SHA-256(prev_hash || canonical(row))`, computed by
 * the writer (features/audit/audit.service.ts) under a transaction advisory lock, so concurrent
 * writers keep one chain. `seq` is assigned by the writer (previous + 1), so a removed row leaves a
 * gap that `pnpm audit:verify` names. A trigger (custom migration `audit_log_guard`) refuses UPDATE
 * and DELETE; pruning and pseudonymisation go through SECURITY DEFINER functions.
 *
 * No foreign keys on purpose: entries outlive the users they mention (erasure replaces the ids by a
 * pseudonym instead of deleting the rows).
 */
export const auditLog = pgTable(
  'audit_log',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** `user`: `actor_id` is a user id (or its pseudonym after erasure); `system`: a job or command name. */
    actorType: text('actor_type', { enum: ['user', 'system'] }).notNull(),
    actorId: text('actor_id').notNull(),
    action: text('action').notNull(),
    /** The user the action was about, if any (or its pseudonym after erasure). */
    subjectId: text('subject_id'),
    requestId: text('request_id'),
    ip: text('ip'),
    /** What and why (e.g. the reason an admin gave); never a secret, never personal data beyond ids. */
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at.desc(), t.seq.desc()),
    index('audit_log_actor_idx').on(t.actorId, t.seq.desc()),
    index('audit_log_subject_idx').on(t.subjectId, t.seq.desc()),
    index('audit_log_action_idx').on(t.action, t.seq.desc()),
    check('audit_log_actor_type', sql`${t.actorType} in ('user', 'system')`),
    check('audit_log_hash_format', sql`${t.hash} ~ '^[0-9a-f]{64}$' and ${t.prevHash} ~ '^[0-9a-f]{64}$'`),
  ],
);

/**
 * Written by `audit_prune()` before it removes old entries: the last removed row's seq and hash,
 * signed (HMAC-SHA256 with AUDIT_CHECKPOINT_KEY) by the application. `audit:verify` starts from the
 * newest checkpoint. The same trigger as `audit_log` refuses UPDATE and DELETE here.
 */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  throughSeq: bigint('through_seq', { mode: 'number' }).primaryKey(),
  hash: text('hash').notNull(),
  signature: text('signature').notNull(),
  pruned: bigint('pruned', { mode: 'number' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
