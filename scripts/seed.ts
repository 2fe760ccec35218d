// Development only: creates (or resets the password of) a demo admin and a demo user, and prints them.
import { eq, sql } from 'drizzle-orm';
import { hashPassword, loadConfig } from '@bastion/api';
import { createDb, runMigrations, schema } from '@bastion/db';
import { withDatabase } from './lib/database.ts';

const config = loadConfig();
if (config.isProduction) {
  console.error('db:seed refuses to run with NODE_ENV=production');
  process.exit(1);
}

const accounts = [
  { email: 'admin@bastion.local', name: 'Demo Admin', role: 'admin' as const, password: 'demo-admin-password-2026' },
  { email: 'user@bastion.local', name: 'Demo User', role: 'user' as const, password: 'demo-user-password-2026' },
];

await withDatabase(config, async (url) => {
  await runMigrations(url);
  const { db, close } = createDb({ ...config.db, url });
  try {
    for (const account of accounts) {
      const passwordHash = await hashPassword(account.password);
      const [existing] = await db
        .select({ id: schema.users.id })
        .from(schema.users)
        .where(eq(sql`lower(${schema.users.email})`, account.email));
      const [row] = existing
        ? await db.update(schema.users).set({ passwordHash, role: account.role }).where(eq(schema.users.id, existing.id)).returning({ id: schema.users.id })
        : await db
            .insert(schema.users)
            .values({ email: account.email, name: account.name, role: account.role, passwordHash, emailVerifiedAt: new Date() })
            .returning({ id: schema.users.id });
      console.log(`${account.role.padEnd(5)}  ${account.email}  password: ${account.password}  (id ${row?.id})`);
    }
  } finally {
    await close();
  }
});
