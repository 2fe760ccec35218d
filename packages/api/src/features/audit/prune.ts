import { and, desc, lt, sql } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import { checkpointSignature } from './canonical.ts';

/**
 * Removes audit entries older than `olderThanSeconds` through `audit_prune()` (SECURITY DEFINER),
 * which first stores a checkpoint: the last removed entry's seq and hash, signed here with
 * AUDIT_CHECKPOINT_KEY (the key never enters the database). The newest entry is always kept, so
 * the chain's head stays in the table. Returns how many entries were removed.
 */
export async function pruneAuditLog(db: Database, checkpointKey: Buffer, olderThanSeconds: number): Promise<number> {
  const { auditLog } = schema;
  const [newest] = await db.select({ seq: auditLog.seq }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  if (!newest) return 0;
  const [boundary] = await db
    .select({ seq: auditLog.seq, hash: auditLog.hash })
    .from(auditLog)
    .where(and(lt(auditLog.at, sql`now() - make_interval(secs => ${olderThanSeconds})`), lt(auditLog.seq, newest.seq)))
    .orderBy(desc(auditLog.seq))
    .limit(1);
  if (!boundary) return 0;
  const signature = checkpointSignature(checkpointKey, boundary.seq, boundary.hash);
  const [result] = await db.execute<{ removed: string }>(sql`select audit_prune(${boundary.seq}, ${boundary.hash}, ${signature}) as removed`);
  return Number(result?.removed ?? 0);
}
