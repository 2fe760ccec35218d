import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '@bastion/db';
import { startTestServer, type TestServer } from '../../../../../test/helpers/server.ts';
import { audit, recordAuditNow, systemActor, userActor } from './audit.service.ts';
import { pruneAuditLog } from './prune.ts';
import { verifyAuditChain } from './verify.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

let server: TestServer;
let databaseUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  const [row] = await server.deps.sql<{ db: string }[]>`select current_database() as db`;
  databaseUrl = connectionUrl(row!.db);
});

afterAll(async () => {
  await server.close();
});

/** The test database's URL, rebuilt from the running server's connection options. */
function connectionUrl(database: string): string {
  const options = server.deps.sql.options as unknown as { host: string[]; port: number[]; user: string; pass: string | null };
  const url = new URL('postgres://localhost');
  url.hostname = options.host[0]!;
  url.port = String(options.port[0]);
  url.username = options.user;
  if (options.pass) url.password = options.pass;
  url.pathname = `/${database}`;
  return url.toString();
}

function run(script: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', path.join(ROOT, script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: databaseUrl, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function auditVerify() {
  const proc = run('scripts/audit-verify.ts', {});
  const code = await proc.exited;
  return { code, output: proc.stdout() + proc.stderr() };
}

describe('the audit log chain', () => {
  it('verifies after 1,000 concurrent writes from two processes', async () => {
    const writers = [run('test/helpers/audit-writer.ts', { WRITER_NAME: 'a', AUDIT_WRITES: '500' }), run('test/helpers/audit-writer.ts', { WRITER_NAME: 'b', AUDIT_WRITES: '500' })];
    // Both are connected and waiting before either writes: the writes overlap.
    for (const writer of writers) {
      while (!writer.stdout().includes('ready')) {
        if (writer.child.exitCode !== null) throw new Error(writer.stderr());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    for (const writer of writers) writer.child.stdin.end('go\n');
    const codes = await Promise.all(writers.map((writer) => writer.exited));
    expect(codes, writers.map((w) => w.stderr()).join('\n')).toEqual([0, 0]);

    const rows = await server.deps.sql<{ n: number; interleaved: number }[]>`
      select count(*)::int as n,
             count(*) filter (where actor_id <> lag_actor)::int as interleaved
      from (select actor_id, lag(actor_id) over (order by seq) as lag_actor from audit_log where action = 'retention.ran') s`;
    expect(rows[0]!.n).toBe(1000);
    // The two writers' entries alternate in the chain, many times: they really wrote at once.
    expect(rows[0]!.interleaved).toBeGreaterThan(10);
    const report = await verifyAuditChain(server.deps.db, server.deps.config.audit.checkpointKey);
    expect(report).toEqual({ ok: true, rows: expect.any(Number) });
    const verified = await auditVerify();
    expect(verified.output.trim()).toMatch(/^ok \d+$/);
    expect(verified.code).toBe(0);
  });

  it('is refused UPDATE, DELETE and TRUNCATE by the database', async () => {
    const { sql } = server.deps;
    await recordAuditNow(server.deps.db, server.deps, { actor: systemActor('test'), action: 'retention.ran' });
    await expect(sql`update audit_log set detail = '{"forged":true}' where seq = 1`).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where seq = 1`).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`).rejects.toThrow(/append-only/);
    await expect(sql`update audit_checkpoints set hash = hash`).resolves.toBeDefined(); // no rows: nothing to refuse
    // Setting the pseudonymisation flag by hand does not open the door to content changes.
    await expect(
      sql.begin(async (tx) => {
        await tx`select set_config('bastion.audit_pseudonymise', 'on', true)`;
        await tx`update audit_log set action = 'user.enabled' where seq = 1`;
      }),
    ).rejects.toThrow(/append-only/);
  });

  it('names the entry a superuser edited behind the trigger', async () => {
    const { sql } = server.deps;
    const [target] = await sql<{ seq: number }[]>`select seq::int from audit_log order by seq limit 1 offset 20`;
    await sql.begin(async (tx) => {
      await tx`alter table audit_log disable trigger audit_log_append_only`;
      await tx`update audit_log set detail = '{"i": 999999, "name": "forged"}' where seq = ${target!.seq}`;
      await tx`alter table audit_log enable trigger audit_log_append_only`;
    });
    const verified = await auditVerify();
    expect(verified.code).toBe(1);
    expect(verified.output).toContain(`broken at entry ${target!.seq}:`);
    expect(verified.output).toMatch(/was altered/);
  });
});

describe('pruning', () => {
  it('writes a signed checkpoint first, keeps the newest entry, and the rest still verifies', async () => {
    const fresh = await startTestServer();
    try {
      const { db, sql, config } = fresh.deps;
      for (let i = 0; i < 10; i++) {
        await withTransaction(db, (tx) => audit.record(tx, fresh.deps, { actor: userActor('00000000-0000-4000-8000-000000000001'), action: 'user.unlocked', detail: { reason: `r${i}` } }));
      }
      await sql.begin(async (tx) => {
        await tx`alter table audit_log disable trigger audit_log_append_only`;
        await tx`update audit_log set at = at - interval '3 years' where seq <= 6`;
        await tx`alter table audit_log enable trigger audit_log_append_only`;
      });
      // Moving timestamps breaks their hashes: re-chain the aged rows as if they had been written then.
      await rechain(fresh);
      expect(await pruneAuditLog(db, config.audit.checkpointKey, 2 * 365 * 86_400)).toBe(6);
      const checkpoints = await sql<{ through_seq: number; pruned: number }[]>`select through_seq::int, pruned::int from audit_checkpoints`;
      expect(checkpoints).toEqual([{ through_seq: 6, pruned: 6 }]);
      expect(await verifyAuditChain(db, config.audit.checkpointKey)).toEqual({ ok: true, rows: 4 });
      // A forged checkpoint (no key) is named.
      await sql.begin(async (tx) => {
        await tx`alter table audit_checkpoints disable trigger audit_checkpoints_append_only`;
        await tx`update audit_checkpoints set signature = ${'0'.repeat(64)}`;
        await tx`alter table audit_checkpoints enable trigger audit_checkpoints_append_only`;
      });
      expect(await verifyAuditChain(db, config.audit.checkpointKey)).toMatchObject({ ok: false, problem: expect.stringMatching(/invalid signature/) });
    } finally {
      await fresh.close();
    }
  });
});

/** Recomputes every hash (test-only: ages rows the way time would have). */
async function rechain(target: TestServer) {
  const { sql, config } = target.deps;
  const { chainHash, GENESIS_HASH } = await import('./canonical.ts');
  const rows = await sql<{ seq: string; at: Date; actor_type: 'user' | 'system'; actor_id: string; action: string; subject_id: string | null; request_id: string | null; ip: string | null; detail: Record<string, unknown> }[]>`
    select seq, at, actor_type, actor_id, action, subject_id, request_id, ip, detail from audit_log order by seq`;
  let prev = GENESIS_HASH;
  await sql.begin(async (tx) => {
    await tx`alter table audit_log disable trigger audit_log_append_only`;
    for (const row of rows) {
      const hash = chainHash(config.audit.checkpointKey, prev, {
        seq: Number(row.seq),
        at: new Date(row.at),
        actorType: row.actor_type,
        actorId: row.actor_id,
        action: row.action,
        subjectId: row.subject_id,
        requestId: row.request_id,
        ip: row.ip,
        detail: row.detail,
      });
      await tx`update audit_log set prev_hash = ${prev}, hash = ${hash} where seq = ${row.seq}`;
      prev = hash;
    }
    await tx`alter table audit_log enable trigger audit_log_append_only`;
  });
}
