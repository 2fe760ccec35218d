// After putting a new key first in ENCRYPTION_KEYS (and deploying that ring everywhere): reseals
// every sealed column under it, online and in batches, then reports which key ids stored values
// still name. Interrupted? Run it again: it picks up the rows still left.
import { keyIdsInUse, loadConfig, recordAuditNow, rotateSealedColumns, sealedKeyUsage, systemActor } from '@bastion/api';
import { createDb } from '@bastion/db';
import { withDatabase } from './lib/database.ts';

const config = loadConfig();
const ring = config.encryption.keys;
const current = ring[0]!.kid;
await withDatabase(config, async (url) => {
  const { db, close } = createDb({ ...config.db, url });
  try {
    console.error(`resealing under key "${current}"`);
    const columns = await rotateSealedColumns(db, ring, {
      onProgress: (p) => console.error(`  ${p.column}: ${p.resealed + p.skipped}/${p.pending}${p.done ? ' done' : ''}`),
    });
    for (const c of columns) console.log(`${c.column}: resealed ${c.resealed}, changed meanwhile (already current) ${c.skipped}`);
    const usage = await sealedKeyUsage(db);
    const inUse = keyIdsInUse(usage);
    const removable = ring.map((key) => key.kid).filter((kid) => !inUse.includes(kid) && kid !== current);
    console.log(`key ids in use: ${inUse.length > 0 ? inUse.join(', ') : '(none: nothing is sealed yet)'}`);
    console.log(removable.length > 0 ? `not in use, can be removed from ENCRYPTION_KEYS: ${removable.join(', ')}` : 'every key in the ring other than the current one is still in use: run again later');
    // A key rotation run is an administrative action: the audit log says when and what it did.
    await recordAuditNow(db, { config }, {
      actor: systemActor('keys:rotate'),
      action: 'keys.resealed',
      subjectId: null,
      detail: { keyId: current, columns, keyIdsInUse: inUse },
    });
  } finally {
    await close();
  }
});
