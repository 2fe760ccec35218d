import { and, eq, gt, isNotNull, notLike, or, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { schema, type Database } from '@bastion/db';
import type { EncryptionKey } from '../../lib/crypto/key-ring.ts';
import type { ResealReport } from '../auth/reseal-secrets.ts';
import { openToken, sealToken } from './tokens.ts';

/**
 * Rewrites every provider token (access and refresh) sealed with an older key under the current
 * one, so that key can leave `ENCRYPTION_KEYS`. As for TOTP and webhook secrets: batched,
 * keyset-ordered, and a row is updated only if it still holds what was read — a refresh meanwhile
 * (which seals with the current key already) is never overwritten.
 */
export async function resealConnectedAccountTokens(db: Database, keys: readonly EncryptionKey[], batchSize = 500): Promise<ResealReport> {
  const current = keys[0];
  if (!current) throw new Error('no encryption key configured');
  const a = schema.connectedAccounts;
  const prefix = `v1.${current.kid}.%`;
  const report: ResealReport = { resealed: 0, skipped: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  const stale = (column: AnyPgColumn) => and(isNotNull(column), notLike(column, prefix));
  const unchanged = (column: AnyPgColumn, value: string | null) => (value === null ? sql`${column} is null` : eq(column, value));
  for (;;) {
    const rows = await db
      .select({ id: a.id, userId: a.userId, accessTokenSealed: a.accessTokenSealed, refreshTokenSealed: a.refreshTokenSealed })
      .from(a)
      .where(and(gt(a.id, after), or(stale(a.accessTokenSealed), stale(a.refreshTokenSealed))))
      .orderBy(a.id)
      .limit(batchSize);
    for (const row of rows) {
      const reseal = (column: 'access_token' | 'refresh_token', sealed: string | null) =>
        sealed === null ? null : sealToken(keys, column, row, openToken(keys, column, row, sealed));
      const updated = await db
        .update(a)
        .set({ accessTokenSealed: reseal('access_token', row.accessTokenSealed), refreshTokenSealed: reseal('refresh_token', row.refreshTokenSealed) })
        .where(and(eq(a.id, row.id), unchanged(a.accessTokenSealed, row.accessTokenSealed), unchanged(a.refreshTokenSealed, row.refreshTokenSealed)))
        .returning({ id: a.id });
      if (updated.length === 1) report.resealed++;
      else report.skipped++;
    }
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return report;
    after = last.id;
  }
}
