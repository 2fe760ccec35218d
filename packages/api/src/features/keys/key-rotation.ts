import { and, asc, count, eq, getTableColumns, gt, isNotNull, notLike, sql } from 'drizzle-orm';
import type { Database } from '@bastion/db';
import { decrypt, encrypt, type EncryptionKey } from '../../lib/crypto/key-ring.ts';
import { SEALED_COLUMNS, type SealedColumn } from './sealed-columns.ts';

export interface ColumnRotation {
  column: string;
  /** Rows found under an older key when the column's pass started. */
  pending: number;
  resealed: number;
  /** Changed by the application between read and write: already sealed anew, left as it is. */
  skipped: number;
}

export interface RotationProgress extends ColumnRotation {
  done: boolean;
}

export interface RotationOptions {
  batchSize?: number;
  onProgress?: (progress: RotationProgress) => void;
  columns?: readonly SealedColumn[];
}

/**
 * Reseals every sealed column under the first key of the ring, online: keyset batches of rows
 * not yet under that key, each row written only if it still holds what was read (an application
 * write meanwhile already used the first key and is never overwritten). Nothing is remembered
 * between runs because nothing needs to be: an interrupted run resumes by running again, the
 * filter finds only the rows still left.
 */
export async function rotateSealedColumns(db: Database, keys: readonly EncryptionKey[], options: RotationOptions = {}): Promise<ColumnRotation[]> {
  const current = keys[0];
  if (!current) throw new Error('no encryption key configured');
  const batchSize = options.batchSize ?? 500;
  const columns = options.columns ?? SEALED_COLUMNS;
  // Refuse before writing anything when a stored value names a key the ring lacks: a half-done
  // run would stop at the first such row anyway, and the operator needs the list, not one row.
  const missing = keyIdsInUse(await sealedKeyUsage(db, columns)).filter((kid) => !keys.some((key) => key.kid === kid));
  if (missing.length > 0) throw new Error(`stored secrets are sealed with ${missing.map((kid) => `"${kid}"`).join(', ')}, which ENCRYPTION_KEYS lacks: no key ${missing.map((kid) => `"${kid}"`).join(', ')} in the ring`);
  const reports: ColumnRotation[] = [];
  for (const sealed of columns) {
    const stale = and(isNotNull(sealed.column), notLike(sealed.column, `v1.${current.kid}.%`));
    const [pending] = await db.select({ n: count() }).from(sealed.table).where(stale);
    const report: ColumnRotation = { column: sealed.name, pending: pending?.n ?? 0, resealed: 0, skipped: 0 };
    // drizzle's `set` takes the schema's property name, not the SQL column name.
    const property = Object.entries(getTableColumns(sealed.table)).find(([, column]) => column === sealed.column)?.[0];
    if (!property) throw new Error(`${sealed.name}: the column is not in its table`);
    let after: string | undefined;
    for (;;) {
      const rows: { id: string; owner: string; value: string }[] = await db
        .select({ id: sql<string>`${sealed.id}::text`, owner: sealed.owner ? sql<string>`${sealed.owner}::text` : sql<string>`''`, value: sql<string>`${sealed.column}` })
        .from(sealed.table)
        .where(after === undefined ? stale : and(stale, gt(sealed.id, after)))
        .orderBy(asc(sealed.id))
        .limit(batchSize);
      for (const row of rows) {
        const context = sealed.context(row.id, row.owner);
        const resealed = encrypt(keys, decrypt(keys, row.value, context), context);
        const updated = await db
          .update(sealed.table)
          .set({ [property]: resealed })
          .where(and(eq(sealed.id, row.id), eq(sealed.column, row.value)))
          .returning({ id: sealed.id });
        if (updated.length === 1) report.resealed++;
        else report.skipped++;
      }
      const last = rows.at(-1);
      options.onProgress?.({ ...report, done: !last || rows.length < batchSize });
      if (!last || rows.length < batchSize) break;
      after = last.id;
    }
    reports.push(report);
  }
  return reports;
}

export interface KeyUsage {
  column: string;
  /** Rows per key id. */
  keys: Record<string, number>;
}

/** Which key ids the stored ciphertexts name: a key no column uses can leave `ENCRYPTION_KEYS`. */
export async function sealedKeyUsage(db: Database, columns: readonly SealedColumn[] = SEALED_COLUMNS): Promise<KeyUsage[]> {
  const usage: KeyUsage[] = [];
  for (const sealed of columns) {
    const kid = sql<string>`split_part(${sealed.column}, '.', 2)`;
    const rows = await db.select({ kid, n: count() }).from(sealed.table).where(isNotNull(sealed.column)).groupBy(kid);
    usage.push({ column: sealed.name, keys: Object.fromEntries(rows.map((row) => [row.kid, row.n])) });
  }
  return usage;
}

/** Key ids still named by any stored ciphertext. */
export const keyIdsInUse = (usage: readonly KeyUsage[]): string[] => [...new Set(usage.flatMap((u) => Object.keys(u.keys)))].sort();
