import { strToU8, zipSync } from 'fflate';
import type { Database } from '@bastion/db';
import { DATA_CLASSES } from './data-classes.ts';

/** The export archive: one pretty-printed JSON file per data class, and a manifest. */
export async function buildArchive(db: Database, userId: string, now = new Date()): Promise<Buffer> {
  const files: Record<string, Uint8Array> = {};
  for (const dataClass of DATA_CLASSES) {
    files[`${dataClass.name}.json`] = strToU8(JSON.stringify(await dataClass.export(db, userId), null, 2));
  }
  files['manifest.json'] = strToU8(
    JSON.stringify({ format: 'bastion-data-export', version: 1, userId, generatedAt: now.toISOString(), files: DATA_CLASSES.map((c) => `${c.name}.json`) }, null, 2),
  );
  return Buffer.from(zipSync(files, { level: 6 }));
}
