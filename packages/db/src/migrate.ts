import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Sql } from './client.ts';

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

/** Arbitrary constant shared by every instance: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = 7_262_021_001;

/**
 * Applies pending migrations. Instances that start together serialize on a session advisory lock,
 * so exactly one applies each migration and the others find the schema already at head.
 */
export async function runMigrations(url: string, migrationsFolder = MIGRATIONS_FOLDER): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'bastion:migrate' } });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(drizzle(client), { migrationsFolder });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

/** The `created_at` drizzle records for the newest migration shipped with this build. */
export function latestMigrationMillis(migrationsFolder = MIGRATIONS_FOLDER): number {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as Journal;
  return Math.max(0, ...journal.entries.map((entry) => entry.when));
}

/** True when the database has every migration this build ships. */
export async function migrationsAtHead(sql: Sql, expectedMillis: number): Promise<boolean> {
  const rows = await sql<{ latest: string | null }[]>`
    select max(created_at)::text as latest from drizzle.__drizzle_migrations`;
  return Number(rows[0]?.latest ?? 0) >= expectedMillis;
}
