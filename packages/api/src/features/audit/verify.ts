import { asc, desc, gt } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import { auditEntryColumns } from './audit.service.ts';
import { chainHash, checkpointSignature, GENESIS_HASH } from './canonical.ts';
import { timingSafeEqual } from 'node:crypto';

export type ChainReport = { ok: true; rows: number } | { ok: false; rows: number; seq: number; problem: string };

const BATCH = 1000;

const sameHex = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Walks the audit chain from the newest checkpoint (or from the first entry ever) and reports the
 * first broken link: a bad checkpoint signature, a missing entry (a gap in seq), an entry whose
 * prev_hash is not its predecessor's hash, or an entry whose content no longer matches its hash.
 */
export async function verifyAuditChain(db: Database, checkpointKey: Buffer): Promise<ChainReport> {
  const { auditLog, auditCheckpoints } = schema;
  const [checkpoint] = await db
    .select({ throughSeq: auditCheckpoints.throughSeq, hash: auditCheckpoints.hash, signature: auditCheckpoints.signature })
    .from(auditCheckpoints)
    .orderBy(desc(auditCheckpoints.throughSeq))
    .limit(1);
  if (checkpoint && !sameHex(checkpoint.signature, checkpointSignature(checkpointKey, checkpoint.throughSeq, checkpoint.hash))) {
    return { ok: false, rows: 0, seq: checkpoint.throughSeq, problem: `checkpoint through entry ${checkpoint.throughSeq} has an invalid signature` };
  }
  let expectedSeq = (checkpoint?.throughSeq ?? 0) + 1;
  let prevHash = checkpoint?.hash ?? GENESIS_HASH;
  let rows = 0;
  for (;;) {
    const batch = await db
      .select({ ...auditEntryColumns, prevHash: auditLog.prevHash })
      .from(auditLog)
      .where(gt(auditLog.seq, expectedSeq - 1))
      .orderBy(asc(auditLog.seq))
      .limit(BATCH);
    for (const row of batch) {
      if (row.seq !== expectedSeq) return { ok: false, rows, seq: expectedSeq, problem: `entry ${expectedSeq} is missing (next is ${row.seq})` };
      if (row.prevHash !== prevHash) return { ok: false, rows, seq: row.seq, problem: `entry ${row.seq} does not link to entry ${row.seq - 1}` };
      if (!sameHex(row.hash, chainHash(checkpointKey, prevHash, row))) return { ok: false, rows, seq: row.seq, problem: `entry ${row.seq} was altered (its hash does not match its content)` };
      prevHash = row.hash;
      expectedSeq++;
      rows++;
    }
    if (batch.length < BATCH) return { ok: true, rows };
  }
}
