import { and, eq, gt, notLike } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import type { EncryptionKey } from '../../lib/crypto/key-ring.ts';
import { openSecret, sealSecret } from './two-factor.service.ts';

export interface ResealReport {
  resealed: number;
  /** Rows that changed while being resealed (a new setup, say); they already use the new key. */
  skipped: number;
}

/**
 * Rewrites every TOTP secret sealed with an older key under the current (first) one, so that the
 * older key can leave `ENCRYPTION_KEYS`. Batched and keyset-ordered; each row is updated only if it
 * still holds the ciphertext that was read, so a concurrent change is never overwritten.
 */
export async function resealTwoFactorSecrets(db: Database, keys: readonly EncryptionKey[], batchSize = 500): Promise<ResealReport> {
  const current = keys[0];
  if (!current) throw new Error('no encryption key configured');
  const t = schema.userTwoFactor;
  const report: ResealReport = { resealed: 0, skipped: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db
      .select({ userId: t.userId, secretEncrypted: t.secretEncrypted })
      .from(t)
      .where(and(gt(t.userId, after), notLike(t.secretEncrypted, `v1.${current.kid}.%`)))
      .orderBy(t.userId)
      .limit(batchSize);
    for (const row of rows) {
      const resealed = sealSecret(keys, row.userId, openSecret(keys, row.userId, row.secretEncrypted));
      const updated = await db
        .update(t)
        .set({ secretEncrypted: resealed })
        .where(and(eq(t.userId, row.userId), eq(t.secretEncrypted, row.secretEncrypted)))
        .returning({ userId: t.userId });
      if (updated.length === 1) report.resealed++;
      else report.skipped++;
    }
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return report;
    after = last.userId;
  }
}
