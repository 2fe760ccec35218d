import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { expect, inject, it } from 'vitest';
import { latestMigrationMillis, migrationsAtHead, runMigrations } from '../src/index.ts';

it('two instances migrating one empty database at once apply each migration exactly once', async () => {
  const admin = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => {} });
  const name = `migrate_${randomBytes(4).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;

  await Promise.all([runMigrations(url.toString()), runMigrations(url.toString()), runMigrations(url.toString())]);

  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ count: number }[]>`select count(*)::int as count from drizzle.__drizzle_migrations`;
    const journalEntries = (await import('../../../drizzle/meta/_journal.json', { with: { type: 'json' } })).default.entries.length;
    expect(rows[0]?.count).toBe(journalEntries);
    expect(await migrationsAtHead(sql, latestMigrationMillis())).toBe(true);
    expect(await migrationsAtHead(sql, latestMigrationMillis() + 1)).toBe(false);
  } finally {
    await sql.end();
  }
});
