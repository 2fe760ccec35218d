// pnpm db:restore <file.dump> [--target-url URL] [--force]: restores a db:backup into an empty
// database (--target-url, else DATABASE_URL, else the embedded one), then verifies it against the
// manifest: checksum, migration (never newer than this build), row counts. Exit 1 on any failure.
import { parseArgs } from 'node:util';
import { loadConfig } from '@bastion/api';
import { restore, RestoreRefused } from './lib/backup.ts';
import { withDatabase } from './lib/database.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'target-url': { type: 'string' }, force: { type: 'boolean' } },
});
const file = positionals[0];
if (!file || positionals.length > 1) {
  console.error('usage: pnpm db:restore <file.dump> [--target-url URL] [--force]');
  process.exit(2);
}

const target = values['target-url'];
const restoreInto = async (url: string) => {
  const result = await restore({ file, url, force: values.force ?? false });
  console.log(`restored ${file}: ${result.tables} tables, ${result.rows} rows, migration ${result.manifest.migration}; manifest verified`);
  if (!result.atHead) console.log('the backup predates this build: its newer migrations apply when a server (or pnpm db:migrate) starts on it');
};
try {
  if (target) await restoreInto(target);
  else await withDatabase(loadConfig(), restoreInto);
} catch (error) {
  console.error(error instanceof RestoreRefused ? `restore refused: ${error.message}` : `restore failed: ${(error as Error).message}`);
  process.exit(1);
}
