// Applies pending migrations to DATABASE_URL, or to the embedded database when it is unset.
import { loadConfig } from '@bastion/api';
import { runMigrations } from '@bastion/db';
import { withDatabase } from './lib/database.ts';

const config = loadConfig();
await withDatabase(config, async (url) => {
  await runMigrations(url);
  console.log('migrations applied');
});
