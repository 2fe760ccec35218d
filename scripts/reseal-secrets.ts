// After putting a new key first in ENCRYPTION_KEYS: rewrites every secret sealed with an older key
// under the new one, so the older key can be removed. Safe to run while the API serves.
import { loadConfig, recordAuditNow, resealTwoFactorSecrets, resealWebhookSecrets, systemActor } from '@bastion/api';
import { createDb } from '@bastion/db';
import { withDatabase } from './lib/database.ts';

const config = loadConfig();
await withDatabase(config, async (url) => {
  const { db, close } = createDb({ ...config.db, url });
  try {
    const report = await resealTwoFactorSecrets(db, config.encryption.keys);
    console.log(`TOTP secrets resealed under key "${config.encryption.keys[0]?.kid}": ${report.resealed} (changed meanwhile, skipped: ${report.skipped})`);
    const webhooks = await resealWebhookSecrets(db, config.encryption.keys);
    console.log(`webhook endpoint secrets resealed: ${webhooks.resealed} (changed meanwhile, skipped: ${webhooks.skipped})`);
    // A key rotation run is an administrative action: the audit log says when and what it did.
    await recordAuditNow(db, { config }, {
      actor: systemActor('keys:reseal'),
      action: 'keys.resealed',
      subjectId: null,
      detail: { keyId: config.encryption.keys[0]?.kid, totp: report, webhooks },
    });
  } finally {
    await close();
  }
});
