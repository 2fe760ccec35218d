// The backup drill, as an operator runs it: seed → pnpm db:backup → drop → pnpm db:restore into an
// empty database → verify → start the server on the restored database and sign in (2FA included,
// so the sealed TOTP secret still decrypts).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { schema } from '@bastion/db';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { startTestServer, STRONG_PASSWORD, TEST_ENV, uniqueEmail } from '../../../test/helpers/server.ts';
import { pruneBackups } from '../../../scripts/lib/backup.ts';

const exec = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const work = mkdtempSync(path.join(tmpdir(), 'bastion-backup-'));

async function cli(script: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--experimental-strip-types', '--no-warnings', script, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...TEST_ENV, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function databaseUrl(name: string): string {
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (admin: postgres.Sql) => Promise<T>): Promise<T> {
  const admin = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => {} });
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function emptyDatabase(): Promise<string> {
  const name = `restore_${Math.random().toString(16).slice(2, 10)}`;
  await withAdmin((admin) => admin.unsafe(`create database ${name}`));
  return databaseUrl(name);
}

/** Enabling used the previous step's code: signing in uses the current one (a used code is refused). */
async function codeFor(secret: string, offset = 0): Promise<string> {
  while (Date.now() % 30_000 > 28_000) await new Promise((resolve) => setTimeout(resolve, 250));
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + offset * 30_000 });
}

const seeded = { email: uniqueEmail('restored'), secret: '', contacts: [] as string[] };
let dumpFile = '';

beforeAll(async () => {
  const sourceUrl = await createTestDatabase();
  const server = await startTestServer({}, sourceUrl);
  try {
    const { user } = await server.client().auth.register.mutate({ email: seeded.email, password: STRONG_PASSWORD, name: 'Restored' });
    await server.deps.db.update(schema.users).set({ emailVerifiedAt: sql`now()` }).where(eq(schema.users.id, user.id));
    const login = await server.client().auth.login.mutate({ email: seeded.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
    if (login.status !== 'authenticated' || !login.accessToken) throw new Error('no tokens');
    const client = server.client({ accessToken: login.accessToken });
    const setup = await client.auth.twoFactor.setup.mutate({ password: STRONG_PASSWORD });
    seeded.secret = setup.secret;
    await client.auth.twoFactor.enable.mutate({ password: STRONG_PASSWORD, code: await codeFor(setup.secret, -1) });
    for (const name of ['Ada Lovelace', 'Grace Hopper', 'Edsger Dijkstra']) {
      seeded.contacts.push((await client.contacts.create.mutate({ name, email: `${name.split(' ')[0]!.toLowerCase()}@example.com` })).id);
    }
  } finally {
    await server.close();
  }

  const backup = await cli('scripts/db-backup.ts', ['--out', work], { DATABASE_URL: sourceUrl });
  expect(backup.code, backup.stderr).toBe(0);
  expect(backup.stdout).toMatch(/^backup .*\.dump: \d+ bytes, \d+ tables, \d+ rows, migration \d+, sha256 [0-9a-f]{64}/);
  dumpFile = path.join(work, readdirSync(work).find((name) => name.endsWith('.dump'))!);

  // The disaster: the source database is gone.
  await withAdmin((admin) => admin.unsafe(`drop database ${new URL(sourceUrl).pathname.slice(1)} with (force)`));
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('db:backup and db:restore', () => {
  it('write a manifest with the migration, row counts and checksum of the dump', () => {
    const manifest = JSON.parse(readFileSync(dumpFile.replace(/\.dump$/, '.manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'bastion-backup/1', file: path.basename(dumpFile) });
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.migration).toBeGreaterThan(0);
    expect(manifest.rowCounts['public.users']).toBe(1);
    expect(manifest.rowCounts['public.contacts']).toBe(3);
    expect(manifest.rowCounts['public.user_two_factor']).toBe(1);
  });

  it('restore into an empty database, verify it, and the server signs the user in with 2FA on it', async () => {
    const target = await emptyDatabase();
    const restored = await cli('scripts/db-restore.ts', [dumpFile, '--target-url', target], {});
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('manifest verified');

    const server = await startTestServer({}, target);
    try {
      const login = await server.client().auth.login.mutate({ email: seeded.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
      expect(login.status).toBe('two_factor_required');
      if (login.status !== 'two_factor_required') return;
      const done = await server.client().auth.login2fa.mutate({ challengeId: login.challengeId, code: await codeFor(seeded.secret), tokenDelivery: 'body' });
      expect(done.status).toBe('authenticated');
      if (done.status !== 'authenticated' || !done.accessToken) return;
      const contacts = await server.client({ accessToken: done.accessToken }).contacts.list.query({});
      expect(contacts.items.map((contact) => contact.id).sort()).toEqual([...seeded.contacts].sort());
    } finally {
      await server.close();
    }
  });

  it('refuse a target that is not empty unless --force, then replace it', async () => {
    const target = await emptyDatabase();
    expect((await cli('scripts/db-restore.ts', [dumpFile, '--target-url', target], {})).code).toBe(0);
    const again = await cli('scripts/db-restore.ts', [dumpFile, '--target-url', target], {});
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('restore refused: the target database is not empty');
    const forced = await cli('scripts/db-restore.ts', [dumpFile, '--target-url', target, '--force'], {});
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('manifest verified');
  });

  it('refuse a dump whose bytes differ from its manifest, writing nothing', async () => {
    const tampered = path.join(work, 'tampered', path.basename(dumpFile));
    mkdirSync(path.dirname(tampered), { recursive: true });
    copyFileSync(dumpFile, tampered);
    copyFileSync(dumpFile.replace(/\.dump$/, '.manifest.json'), tampered.replace(/\.dump$/, '.manifest.json'));
    const bytes = readFileSync(tampered);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(tampered, bytes);
    const target = await emptyDatabase();
    const result = await cli('scripts/db-restore.ts', [tampered, '--target-url', target], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('checksum mismatch');
    const targetSql = postgres(target, { max: 1, onnotice: () => {} });
    try {
      const [tables] = await targetSql<{ n: number }[]>`select count(*)::int as n from information_schema.tables where table_schema = 'public'`;
      expect(tables!.n).toBe(0);
    } finally {
      await targetSql.end();
    }
  });

  it('keep only the newest BACKUP_KEEP backups', () => {
    const dir = path.join(work, 'rotation');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const names = ['20261101T000000Z', '20261102T000000Z', '20261103T000000Z', '20261104T000000Z'];
    for (const name of names) {
      writeFileSync(path.join(dir, `bastion-${name}.dump`), '');
      writeFileSync(path.join(dir, `bastion-${name}.manifest.json`), '{}');
    }
    writeFileSync(path.join(dir, 'notes.txt'), 'kept');
    expect(pruneBackups(dir, 2)).toEqual(['bastion-20261102T000000Z.dump', 'bastion-20261101T000000Z.dump']);
    expect(readdirSync(dir).sort()).toEqual([
      'bastion-20261103T000000Z.dump',
      'bastion-20261103T000000Z.manifest.json',
      'bastion-20261104T000000Z.dump',
      'bastion-20261104T000000Z.manifest.json',
      'notes.txt',
    ]);
  });
});
