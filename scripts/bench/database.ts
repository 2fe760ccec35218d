import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createDb, runMigrations, type DbHandle } from '@bastion/db';

export interface BenchDatabase {
  url: string;
  /** A pool on the bench database; `poolMax` 1 keeps session settings (SET) on one connection. */
  connect(poolMax?: number): DbHandle;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for the run: on DATABASE_URL's server when set (a throwaway
 * `bench_*` database, dropped afterwards — the configured database itself is never written),
 * else on an embedded PostgreSQL in a temp dir.
 */
export async function benchDatabase(serverUrl: string | undefined): Promise<BenchDatabase> {
  let stopServer = async () => {};
  if (!serverUrl) {
    const dataRoot = mkdtempSync(path.join(tmpdir(), 'bastion-bench-'));
    const { startEmbeddedPostgres } = await import('@bastion/db/embedded');
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'pg'), persistent: false });
    serverUrl = embedded.url;
    stopServer = async () => {
      await embedded.stop();
      rmSync(dataRoot, { recursive: true, force: true });
    };
  }
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handles: DbHandle[] = [];
  const close = async () => {
    await Promise.all(handles.map((handle) => handle.close()));
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    await stopServer();
  };
  try {
    await admin.unsafe(`create database ${name}`);
    await runMigrations(url.toString());
  } catch (error) {
    await close().catch(() => {}); // the original error says what went wrong
    throw error;
  }
  return {
    url: url.toString(),
    connect(poolMax = 2) {
      const handle = createDb({ url: url.toString(), poolMax, idleTimeoutSeconds: 600, maxLifetimeSeconds: 3600, connectTimeoutSeconds: 5, statementTimeoutMs: 120_000 });
      handles.push(handle);
      return handle;
    },
    close,
  };
}
