// pnpm docs:config: regenerates README's configuration table and `.env.example` from the config
// schema. `--check` only reports (exit 1) what is out of date.
import path from 'node:path';
import { configDocsFiles, writeConfigDocs } from './lib/config-docs.ts';

const root = path.resolve(import.meta.dirname, '..');
if (process.argv.includes('--check')) {
  const stale = configDocsFiles(root).filter((file) => file.current !== file.generated);
  for (const file of stale) console.error(`${path.relative(root, file.path)} differs from the config schema: run pnpm docs:config`);
  process.exit(stale.length ? 1 : 0);
}
const written = writeConfigDocs(root);
console.log(written.length ? `updated ${written.map((file) => path.relative(root, file)).join(', ')}` : 'configuration docs up to date');
