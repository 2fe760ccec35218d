// pnpm db:backup [--out DIR] [--keep N]: a pg_dump (custom format, compressed) of DATABASE_URL, or of
// the embedded database, with its manifest; keeps the newest BACKUP_KEEP (7) backups in DIR.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@bastion/api';
import { backup } from './lib/backup.ts';
import { withDatabase } from './lib/database.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, keep: { type: 'string' } } });
const keep = Number(values.keep ?? process.env.BACKUP_KEEP ?? 7);
if (!Number.isInteger(keep) || keep < 1) {
  console.error('--keep / BACKUP_KEEP must be a whole number of at least 1');
  process.exit(2);
}
const outDir = path.resolve(values.out ?? process.env.BACKUP_DIR ?? 'backups');

const config = loadConfig();
await withDatabase(config, async (url) => {
  const { file, manifest } = await backup({ url, outDir, keep });
  const rows = Object.values(manifest.rowCounts).reduce((sum, count) => sum + count, 0);
  console.log(`backup ${file}: ${manifest.bytes} bytes, ${Object.keys(manifest.rowCounts).length} tables, ${rows} rows, migration ${manifest.migration}, sha256 ${manifest.sha256}`);
});
