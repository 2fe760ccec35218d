// Backups of the application's database: pg_dump's custom format with a manifest that a restore
// verifies (the migration the dump is at, row counts per table, the file's checksum).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { latestMigrationMillis } from '@bastion/db';

const execFileAsync = promisify(execFile);

/**
 * Runs a PostgreSQL client program against `url` with the password in PGPASSWORD, never on the
 * command line (where `ps` and error messages would show it).
 */
async function runPg(program: 'pg_dump' | 'pg_restore', args: string[], url?: string): Promise<string> {
  const env = { ...process.env };
  const dbArgs: string[] = [];
  if (url) {
    const parsed = new URL(url);
    if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
    parsed.password = '';
    dbArgs.push('--dbname', parsed.toString());
  }
  try {
    const { stdout } = await execFileAsync(pgProgram(program), [...args, ...dbArgs], { env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`${program} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

export interface BackupManifest {
  format: 'bastion-backup/1';
  createdAt: string;
  file: string;
  bytes: number;
  sha256: string;
  /** `created_at` of the newest migration applied in the dumped database (drizzle's journal `when`). */
  migration: number;
  migrationsApplied: number;
  /** Exact row counts per table (`schema.table`), read in the snapshot pg_dump dumped. */
  rowCounts: Record<string, number>;
  pgDumpVersion: string;
  serverVersion: string;
}

/** Schemas the database server owns; everything else (public, drizzle's journal, pgboss) is backed up. */
const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];

/** PostgreSQL's client programs: PG_BIN_DIR, else PATH, else Debian's PostgreSQL 15 location. */
export function pgProgram(name: 'pg_dump' | 'pg_restore'): string {
  const dir = process.env.PG_BIN_DIR;
  if (dir) return path.join(dir, name);
  for (const candidate of (process.env.PATH ?? '').split(':')) {
    if (candidate && existsSync(path.join(candidate, name))) return path.join(candidate, name);
  }
  const debian = `/usr/lib/postgresql/15/bin/${name}`;
  if (existsSync(debian)) return debian;
  throw new Error(`${name} not found: install postgresql-client-15 (apt-get install postgresql-client-15) or set PG_BIN_DIR`);
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

type Sql = postgres.Sql;

async function tablesOf(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select quote_ident(table_schema) || '.' || quote_ident(table_name) as name
    from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema <> all(${SYSTEM_SCHEMAS})
    order by 1`;
  return rows.map((row) => row.name);
}

async function rowCountsOf(sql: Sql, tables: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await sql.unsafe<{ count: string }[]>(`select count(*)::text as count from ${table}`);
    counts[table] = Number(row!.count);
  }
  return counts;
}

async function migrationOf(sql: Sql): Promise<{ migration: number; applied: number }> {
  const [journal] = await sql<{ exists: boolean }[]>`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`;
  if (!journal?.exists) return { migration: 0, applied: 0 };
  const [row] = await sql<{ latest: string | null; applied: string }[]>`
    select max(created_at)::text as latest, count(*)::text as applied from drizzle.__drizzle_migrations`;
  return { migration: Number(row?.latest ?? 0), applied: Number(row?.applied ?? 0) };
}

const stamp = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/**
 * Dumps the database into `outDir` as `bastion-<UTC stamp>.dump` with its `.manifest.json`, then
 * keeps only the newest `keep` backups there. The row counts are read inside the very snapshot
 * pg_dump dumps (`pg_export_snapshot`), so they match the file even while the app writes.
 */
export async function backup(options: { url: string; outDir: string; keep: number; now?: Date }): Promise<{ file: string; manifest: BackupManifest }> {
  mkdirSync(options.outDir, { recursive: true });
  const createdAt = options.now ?? new Date();
  const file = path.join(options.outDir, `bastion-${stamp(createdAt)}.dump`);
  const sql = postgres(options.url, { max: 1, onnotice: () => {} });
  try {
    const reserved = await sql.reserve();
    try {
      await reserved`begin isolation level repeatable read read only`;
      const [{ snapshot }] = (await reserved`select pg_export_snapshot() as snapshot`) as unknown as [{ snapshot: string }];
      const rowCounts = await rowCountsOf(reserved as unknown as Sql, await tablesOf(reserved as unknown as Sql));
      const { migration, applied } = await migrationOf(reserved as unknown as Sql);
      const [{ version: serverVersion }] = (await reserved`select current_setting('server_version') as version`) as unknown as [{ version: string }];
      await runPg('pg_dump', ['--format=custom', '--compress=6', '--no-owner', '--no-privileges', `--snapshot=${snapshot}`, '--file', file], options.url);
      await reserved`commit`;
      const pgDumpVersion = (await runPg('pg_dump', ['--version'])).trim();
      const manifest: BackupManifest = {
        format: 'bastion-backup/1',
        createdAt: createdAt.toISOString(),
        file: path.basename(file),
        bytes: statSync(file).size,
        sha256: await sha256Of(file),
        migration,
        migrationsApplied: applied,
        rowCounts,
        pgDumpVersion,
        serverVersion,
      };
      writeFileSync(manifestPathOf(file), `${JSON.stringify(manifest, null, 2)}\n`);
      pruneBackups(options.outDir, options.keep);
      return { file, manifest };
    } finally {
      reserved.release();
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function manifestPathOf(file: string): string {
  return file.replace(/\.dump$/, '') + '.manifest.json';
}

/** Deletes all but the newest `keep` backups (dump and manifest) in `dir`. */
export function pruneBackups(dir: string, keep: number): string[] {
  const dumps = readdirSync(dir)
    .filter((name) => /^bastion-\d{8}T\d{6}Z\.dump$/.test(name))
    .sort()
    .reverse();
  const removed = dumps.slice(keep);
  for (const name of removed) {
    rmSync(path.join(dir, name), { force: true });
    rmSync(manifestPathOf(path.join(dir, name)), { force: true });
  }
  return removed;
}

export class RestoreRefused extends Error {}

export interface RestoreResult {
  manifest: BackupManifest;
  /** False for an older backup: the servers apply the newer migrations when they start. */
  atHead: boolean;
  tables: number;
  rows: number;
}

/**
 * Restores `file` into the database at `url` and verifies it against the manifest: the checksum
 * before anything is written, then the migration (the dump's own; never newer than this build's),
 * then every table's row count. A target holding tables is refused unless `force` (then replaced).
 */
export async function restore(options: { file: string; url: string; force: boolean }): Promise<RestoreResult> {
  const manifestPath = manifestPathOf(options.file);
  if (!existsSync(manifestPath)) throw new RestoreRefused(`no manifest beside the dump (${manifestPath})`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
  if (manifest.format !== 'bastion-backup/1') throw new RestoreRefused(`unknown manifest format ${String(manifest.format)}`);
  const checksum = await sha256Of(options.file);
  if (checksum !== manifest.sha256) throw new RestoreRefused(`checksum mismatch: the dump is ${checksum}, the manifest says ${manifest.sha256}`);
  const head = latestMigrationMillis();
  if (manifest.migration > head) {
    throw new RestoreRefused(`the backup is at migration ${manifest.migration}, newer than this build's head ${head}: restore it with the build that made it`);
  }

  const sql = postgres(options.url, { max: 1, onnotice: () => {} });
  try {
    const existing = await tablesOf(sql);
    if (existing.length > 0 && !options.force) {
      throw new RestoreRefused(`the target database is not empty (${existing.length} tables, e.g. ${existing[0]}); pass --force to replace it`);
    }
    if (existing.length > 0) {
      // Everything the dump recreates: its schemas (public's extensions go with it), then a bare public.
      const schemas = await sql<{ name: string }[]>`
        select quote_ident(nspname) as name from pg_namespace
        where nspname <> all(${SYSTEM_SCHEMAS}) and left(nspname, 3) <> 'pg_'`;
      for (const { name } of schemas) await sql.unsafe(`drop schema ${name} cascade`);
      await sql`create schema public`;
    }
    // A whole-database dump leaves out CREATE SCHEMA public: the target's own public receives it.
    await runPg('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', options.file], options.url);

    const restored = await migrationOf(sql);
    if (restored.migration !== manifest.migration || restored.applied !== manifest.migrationsApplied) {
      throw new Error(`restored migration ${restored.migration} (${restored.applied} applied) differs from the manifest's ${manifest.migration} (${manifest.migrationsApplied})`);
    }
    const counts = await rowCountsOf(sql, await tablesOf(sql));
    const differences = [...new Set([...Object.keys(counts), ...Object.keys(manifest.rowCounts)])]
      .filter((table) => counts[table] !== manifest.rowCounts[table])
      .map((table) => `${table}: ${counts[table] ?? 'missing'} restored, ${manifest.rowCounts[table] ?? 'absent'} in the manifest`);
    if (differences.length) throw new Error(`row counts differ after restore:\n  ${differences.join('\n  ')}`);
    return { manifest, atHead: manifest.migration === head, tables: Object.keys(counts).length, rows: Object.values(counts).reduce((sum, count) => sum + count, 0) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
