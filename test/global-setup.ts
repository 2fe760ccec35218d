import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { runMigrations } from '@bastion/db';
import { startEmbeddedPostgres } from '@bastion/db/embedded';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL on the test server (its `postgres` database). */
    adminDatabaseUrl: string;
    /** A database with every migration applied, copied for each test file. */
    templateDatabase: string;
  }
}

const TEMPLATE = 'bastion_template';

/**
 * One PostgreSQL server per run: TEST_DATABASE_URL's, else an embedded one in a temp dir. The
 * migrated template is copied per test file, which takes milliseconds.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  let dataRoot: string | undefined;
  if (!adminUrl) {
    dataRoot = mkdtempSync(path.join(tmpdir(), 'bastion-test-'));
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'pg'), persistent: false });
    adminUrl = embedded.url;
    stop = embedded.stop;
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${TEMPLATE} with (force)`);
  await admin.unsafe(`create database ${TEMPLATE}`);
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  await runMigrations(templateUrl.toString());
  await admin.end();

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', TEMPLATE);

  return async () => {
    await stop?.();
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  };
}
