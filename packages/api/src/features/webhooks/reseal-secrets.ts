import { and, eq, gt, isNotNull, notLike, or, sql } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import type { EncryptionKey } from '../../lib/crypto/key-ring.ts';
import type { ResealReport } from '../auth/reseal-secrets.ts';
import { sealEndpointSecret, unsealEndpointSecret } from './secrets.ts';

/**
 * Rewrites every webhook secret (current and, during a rotation overlap, previous) sealed with an
 * older key under the current one, so that key can leave `ENCRYPTION_KEYS`. As for TOTP secrets:
 * batched, keyset-ordered, and a row is updated only if it still holds what was read (a rotation
 * meanwhile is never overwritten).
 */
export async function resealWebhookSecrets(db: Database, keys: readonly EncryptionKey[], batchSize = 500): Promise<ResealReport> {
  const current = keys[0];
  if (!current) throw new Error('no encryption key configured');
  const e = schema.webhookEndpoints;
  const prefix = `v1.${current.kid}.%`;
  const report: ResealReport = { resealed: 0, skipped: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db
      .select({ id: e.id, secretSealed: e.secretSealed, previousSecretSealed: e.previousSecretSealed })
      .from(e)
      .where(and(gt(e.id, after), or(notLike(e.secretSealed, prefix), and(isNotNull(e.previousSecretSealed), notLike(e.previousSecretSealed, prefix)))))
      .orderBy(e.id)
      .limit(batchSize);
    for (const row of rows) {
      const secretSealed = sealEndpointSecret(keys, row.id, unsealEndpointSecret(keys, row.id, row.secretSealed));
      const previousSecretSealed = row.previousSecretSealed
        ? sealEndpointSecret(keys, row.id, unsealEndpointSecret(keys, row.id, row.previousSecretSealed, 'previous'), 'previous')
        : null;
      const updated = await db
        .update(e)
        .set({ secretSealed, previousSecretSealed })
        .where(
          and(
            eq(e.id, row.id),
            eq(e.secretSealed, row.secretSealed),
            row.previousSecretSealed === null ? sql`${e.previousSecretSealed} is null` : eq(e.previousSecretSealed, row.previousSecretSealed),
          ),
        )
        .returning({ id: e.id });
      if (updated.length === 1) report.resealed++;
      else report.skipped++;
    }
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return report;
    after = last.id;
  }
}
