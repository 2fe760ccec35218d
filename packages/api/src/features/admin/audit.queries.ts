import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { auditEntryColumns, recordAudit, userActor } from '../audit/audit.service.ts';
import type { AuthState } from '../auth/guards.ts';
import type { auditEntry, AuditFilters, listAuditInput, listAuditOutput } from './audit.schema.ts';

const { auditLog } = schema;


type Entry = z.infer<typeof auditEntry>;

function whereOf(filters: AuditFilters, beforeSeq?: number): SQL | undefined {
  return and(
    filters.actorId ? eq(auditLog.actorId, filters.actorId) : undefined,
    filters.subjectId ? eq(auditLog.subjectId, filters.subjectId) : undefined,
    filters.action ? eq(auditLog.action, filters.action) : undefined,
    filters.from ? gte(auditLog.at, new Date(filters.from)) : undefined,
    filters.to ? lte(auditLog.at, new Date(filters.to)) : undefined,
    beforeSeq !== undefined ? lt(auditLog.seq, beforeSeq) : undefined,
  );
}

const toEntry = (row: Omit<Entry, 'at'> & { at: Date }): Entry => ({ ...row, at: row.at.toISOString() });

/** Newest first; the cursor is the last seq served (keyset: entries are never inserted in the past). */
export async function listAuditHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof listAuditInput> }): Promise<z.infer<typeof listAuditOutput>> {
  const rows = await ctx.db
    .select(auditEntryColumns)
    .from(auditLog)
    .where(whereOf(input, input.cursor ? Number(input.cursor) : undefined))
    .orderBy(desc(auditLog.seq))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { items: page.map(toEntry), nextCursor: rows.length > input.limit && last ? String(last.seq) : null };
}

const EXPORT_BATCH = 500;

/**
 * Streams every matching entry, newest first, as JSON Lines (tRPC's streamed response), in pages
 * of 500 so memory stays flat. The export is audited before the first entry leaves.
 */
export async function* exportAuditHandler({ ctx, input }: { ctx: Context & { auth: AuthState }; input: AuditFilters }): AsyncGenerator<Entry> {
  await withTransaction(ctx.db, (tx) => recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'audit.exported', detail: { filters: input } }));
  let before: number | undefined;
  for (;;) {
    const rows = await ctx.db.select(auditEntryColumns).from(auditLog).where(whereOf(input, before)).orderBy(desc(auditLog.seq)).limit(EXPORT_BATCH);
    for (const row of rows) yield toEntry(row);
    if (rows.length < EXPORT_BATCH) return;
    before = rows.at(-1)!.seq;
  }
}
