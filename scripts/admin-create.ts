// `pnpm admin:create --email admin@example.com`: creates (or promotes) an administrator and prints a
// one-time link to choose the password (valid 24 h). Nothing secret is typed on the command line.
import { parseArgs } from 'node:util';
import { createAdmin, loadConfig } from '@bastion/api';
import { createDb, runMigrations } from '@bastion/db';
import { withDatabase } from './lib/database.ts';

const { values } = parseArgs({ options: { email: { type: 'string' } } });
if (!values.email) {
  console.error('usage: pnpm admin:create --email <address>');
  process.exit(2);
}
const config = loadConfig();
await withDatabase(config, async (url) => {
  if (config.db.migrateOnStart) await runMigrations(url);
  const { db, close } = createDb({ ...config.db, url });
  try {
    const result = await createAdmin({ db, config }, values.email!);
    console.log(result.created ? `Administrator ${values.email} created.` : `${values.email} is now an administrator.`);
    console.log(`Set the password with this one-time link (valid 24 hours):\n${result.link}`);
  } finally {
    await close();
  }
});
