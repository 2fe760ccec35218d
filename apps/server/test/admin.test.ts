import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTRPCClient, httpBatchStreamLink } from '@trpc/client';
import type { AppRouter } from '@bastion/api';
import { errorDataOf } from '@bastion/client';
import { schema } from '@bastion/db';
import { eq } from 'drizzle-orm';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { refusalOf, startTestServer, STRONG_PASSWORD, tokensOf, type TestServer } from '../../../test/helpers/server.ts';
import { signUp } from '../../../test/helpers/users.ts';

let server: TestServer;
let peer: TestServer;

beforeAll(async () => {
  const url = await createTestDatabase();
  server = await startTestServer({}, url);
  // A second instance on the same database: role changes must reach its session cache too.
  peer = await startTestServer({ WORKERS: 'off' }, url);
});

afterAll(async () => {
  await Promise.all([server.close(), peer.close()]);
});

type Role = 'user' | 'support' | 'admin';

/** A fresh account with `role`, signed in after the change. */
async function staff(role: Role, on: TestServer = server) {
  const user = await signUp(server);
  await server.deps.db.update(schema.users).set({ role }).where(eq(schema.users.id, user.id));
  const login = tokensOf(await on.client().auth.login.mutate({ email: user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
  return { ...user, accessToken: login.accessToken!, client: on.client({ accessToken: login.accessToken! }) };
}

async function auditRows(subjectId: string) {
  return server.deps.sql<{ action: string; actor_id: string; detail: Record<string, unknown>; request_id: string | null }[]>`
    select action, actor_id, detail, request_id from audit_log where subject_id = ${subjectId} order by seq`;
}

const REASON = 'ticket #4711: confirmed by phone';

describe('admin.users actions', () => {
  it('each writes exactly one audit entry, with the admin, the reason and the request id', async () => {
    const admin = await staff('admin');
    const target = await signUp(server);
    const users = admin.client.admin.users;
    const steps: [string, () => Promise<unknown>][] = [
      ['user.unlocked', () => users.unlock.mutate({ id: target.id, reason: REASON })],
      ['user.sessions_revoked', () => users.revokeSessions.mutate({ id: target.id, reason: REASON })],
      ['user.role_changed', () => users.setRole.mutate({ id: target.id, role: 'support', reason: REASON })],
      ['user.disabled', () => users.disable.mutate({ id: target.id, reason: REASON })],
      ['user.enabled', () => users.enable.mutate({ id: target.id, reason: REASON })],
      ['user.two_factor_reset', () => users.disableTwoFactor.mutate({ id: target.id, reason: REASON })],
    ];
    for (const [action, call] of steps) {
      const before = (await auditRows(target.id)).length;
      await call();
      const after = await auditRows(target.id);
      expect(after).toHaveLength(before + 1);
      expect(after.at(-1)).toMatchObject({ action, actor_id: admin.id, detail: expect.objectContaining({ reason: REASON }), request_id: expect.any(String) });
    }
    expect((await auditRows(target.id)).find((row) => row.action === 'user.role_changed')?.detail).toEqual({ reason: REASON, from: 'user', to: 'support' });
    // A refused action (no reason) writes nothing.
    const count = (await auditRows(target.id)).length;
    expect((await refusalOf(users.disable.mutate({ id: target.id, reason: '' })))?.code).toBe('BAD_REQUEST');
    expect(await auditRows(target.id)).toHaveLength(count);
  });

  it('disable ends the sessions; enable lets the user sign in again', async () => {
    const admin = await staff('admin');
    const target = await signUp(server);
    expect(await admin.client.admin.users.disable.mutate({ id: target.id, reason: REASON })).toEqual({ success: true, revokedSessions: 1 });
    expect((await refusalOf(target.client.auth.me.query()))?.code).toBe('UNAUTHORIZED');
    await admin.client.admin.users.enable.mutate({ id: target.id, reason: REASON });
    expect(tokensOf(await server.client().auth.login.mutate({ email: target.email, password: STRONG_PASSWORD, tokenDelivery: 'body' })).user.id).toBe(target.id);
  });
});

describe('admin.users.list and get', () => {
  it('searches, filters by role and status, and pages with a keyset cursor', async () => {
    const admin = await staff('admin');
    const tag = `Pager ${Date.now()}`;
    const made = [await signUp(server, `${tag} one`), await signUp(server, `${tag} two`), await signUp(server, `${tag} three`)];
    const first = await admin.client.admin.users.list.query({ search: tag, limit: 2 });
    expect(first.items.map((u) => u.id)).toEqual([made[2]!.id, made[1]!.id]);
    const second = await admin.client.admin.users.list.query({ search: tag, limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ id: made[0]!.id, status: 'active', role: 'user' })], nextCursor: null });
    await admin.client.admin.users.disable.mutate({ id: made[1]!.id, reason: REASON });
    expect((await admin.client.admin.users.list.query({ search: tag, status: 'disabled' })).items.map((u) => u.id)).toEqual([made[1]!.id]);
    expect((await admin.client.admin.users.list.query({ search: tag, role: 'admin' })).items).toEqual([]);
    expect((await refusalOf(admin.client.admin.users.list.query({ cursor: 'garbage' })))?.reason).toBe('invalid_cursor');
    // Wildcards in a search match literally.
    expect((await admin.client.admin.users.list.query({ search: '%' })).items).toEqual([]);
    expect((await refusalOf(admin.client.admin.users.get.query({ id: '00000000-0000-4000-8000-000000000000' })))?.code).toBe('NOT_FOUND');
    const detail = await admin.client.admin.users.get.query({ id: made[1]!.id });
    expect(detail.user.status).toBe('disabled');
    expect(detail.sessions).toEqual([expect.objectContaining({ revokedReason: 'account_disabled' })]);
    expect(detail.securityEvents.map((e) => e.type)).toContain('account_disabled');
  });
});

describe('permissions', () => {
  it('support may read users and the audit log and unlock; not disable, change roles or export', async () => {
    const support = await staff('support');
    const target = await signUp(server);
    const page = await support.client.admin.users.list.query({ search: target.email });
    expect(page.items.map((u) => u.id)).toEqual([target.id]);
    const detail = await support.client.admin.users.get.query({ id: target.id });
    expect(detail.user).toMatchObject({ id: target.id, email: target.email, role: 'user', status: 'active' });
    expect(JSON.stringify(detail)).not.toMatch(/password|hash|secret/i);
    await support.client.admin.users.unlock.mutate({ id: target.id, reason: REASON });
    await support.client.admin.audit.list.query({ subjectId: target.id });
    for (const call of [
      () => support.client.admin.users.disable.mutate({ id: target.id, reason: REASON }),
      () => support.client.admin.users.setRole.mutate({ id: target.id, role: 'admin', reason: REASON }),
      () => support.client.admin.users.revokeSessions.mutate({ id: target.id }),
      () => support.client.admin.users.disableTwoFactor.mutate({ id: target.id, reason: REASON }),
    ]) {
      expect((await refusalOf(call()))?.code).toBe('FORBIDDEN');
    }
    await expect(streamClient(support.accessToken).admin.audit.export.query({}).then(drain)).rejects.toSatisfy((error: unknown) => errorDataOf(error)?.code === 'FORBIDDEN');
  });

  it('a plain user is refused every admin procedure', async () => {
    const user = await signUp(server);
    expect((await refusalOf(user.client.admin.users.list.query({})))?.code).toBe('FORBIDDEN');
    expect((await refusalOf(user.client.admin.audit.list.query({})))?.code).toBe('FORBIDDEN');
  });

  it('a demoted admin loses access at once, on the other instance too', async () => {
    const admin = await staff('admin');
    const demoted = await staff('admin', peer);
    // The peer has cached the session as an admin's.
    await demoted.client.admin.users.list.query({});
    await admin.client.admin.users.setRole.mutate({ id: demoted.id, role: 'user', reason: REASON });
    // The peer's cache lives 5 s: only the cross-instance eviction can refuse within 2 s.
    expect(await forbiddenWithin(() => demoted.client.admin.users.list.query({}), 2000)).toBe(true);
  });
});

async function forbiddenWithin(call: () => Promise<unknown>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    try {
      await call();
    } catch (error) {
      if (errorDataOf(error)?.code === 'FORBIDDEN') return true;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('the last admin', () => {
  it('cannot be demoted or disabled, even by two admins demoting each other at once', async () => {
    const url = await createTestDatabase();
    const isolated = await startTestServer({}, url);
    try {
      const make = async () => {
        const user = await signUp(isolated);
        await isolated.deps.db.update(schema.users).set({ role: 'admin' }).where(eq(schema.users.id, user.id));
        const login = tokensOf(await isolated.client().auth.login.mutate({ email: user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
        return { ...user, client: isolated.client({ accessToken: login.accessToken! }) };
      };
      for (let round = 0; round < 5; round++) {
        const [a, b] = await Promise.all([make(), make()]);
        await isolated.deps.sql`update users set role = 'user' where role = 'admin' and id not in (${a.id}, ${b.id})`;
        const results = await Promise.allSettled([
          a.client.admin.users.setRole.mutate({ id: b.id, role: 'user', reason: REASON }),
          b.client.admin.users.setRole.mutate({ id: a.id, role: 'user', reason: REASON }),
        ]);
        const admins = await isolated.deps.sql<{ n: number }[]>`select count(*)::int as n from users where role = 'admin' and disabled_at is null`;
        expect(admins[0]!.n).toBe(1);
        // One succeeded; the other was refused as the last admin (or, demoted meanwhile, as no longer staff).
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const refused = results.find((r) => r.status === 'rejected');
        expect(['last_admin', 'forbidden']).toContain(errorDataOf(refused?.reason)?.reason);
      }
      const [last] = await isolated.deps.sql<{ id: string }[]>`select id from users where role = 'admin'`;
      const other = await make();
      await isolated.deps.sql`update users set role = 'user' where id = ${other.id}`;
      await isolated.deps.sql`update users set role = 'admin' where id = ${other.id}`;
      await other.client.admin.users.setRole.mutate({ id: last!.id, role: 'user', reason: REASON });
      expect(await refusalOf(other.client.admin.users.setRole.mutate({ id: other.id, role: 'support', reason: REASON }))).toMatchObject({ code: 'CONFLICT', reason: 'last_admin' });
    } finally {
      await isolated.close();
    }
  });
});

function streamClient(accessToken: string) {
  return createTRPCClient<AppRouter>({ links: [httpBatchStreamLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${accessToken}` } })] });
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('admin.audit', () => {
  it('list pages with a keyset cursor and filters; export streams every entry and is audited', async () => {
    const admin = await staff('admin');
    const target = await signUp(server);
    for (let i = 0; i < 5; i++) await admin.client.admin.users.unlock.mutate({ id: target.id, reason: `${REASON} ${i}` });
    const first = await admin.client.admin.audit.list.query({ subjectId: target.id, limit: 3 });
    expect(first.items).toHaveLength(3);
    const second = await admin.client.admin.audit.list.query({ subjectId: target.id, limit: 3, cursor: first.nextCursor! });
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((e) => e.detail.reason)).toEqual([4, 3, 2, 1, 0].map((i) => `${REASON} ${i}`));
    expect((await admin.client.admin.audit.list.query({ action: 'user.unlocked', actorId: admin.id })).items).toHaveLength(5);
    expect((await admin.client.admin.audit.list.query({ subjectId: target.id, from: new Date(Date.now() + 60_000).toISOString() })).items).toHaveLength(0);

    const exported = await drain(await streamClient(admin.accessToken).admin.audit.export.query({ subjectId: target.id }));
    expect(exported.map((e) => e.seq)).toEqual([...first.items, ...second.items].map((e) => e.seq));
    const audited = await server.deps.sql<{ actor_id: string; detail: Record<string, unknown> }[]>`select actor_id, detail from audit_log where action = 'audit.exported' and actor_id = ${admin.id}`;
    expect(audited).toEqual([{ actor_id: admin.id, detail: { filters: { subjectId: target.id } } }]);
  });

  it('the export is JSON Lines on the wire', async () => {
    const admin = await staff('admin');
    const response = await fetch(`${server.url}/trpc/admin.audit.export?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: {} }))}`, {
      headers: { authorization: `Bearer ${admin.accessToken}`, 'trpc-accept': 'application/jsonl' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const lines = (await response.text()).trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) JSON.parse(line);
  });
});

describe('pnpm admin:create', () => {
  it('creates an admin, prints a one-time set-password link that works once, audited as system', async () => {
    const { spawn } = await import('node:child_process');
    const path = await import('node:path');
    const root = path.resolve(import.meta.dirname, '../../..');
    const [row] = await server.deps.sql<{ db: string }[]>`select current_database() as db`;
    const options = server.deps.sql.options as unknown as { host: string[]; port: number[]; user: string; pass: string | null };
    const url = new URL('postgres://localhost');
    url.hostname = options.host[0]!;
    url.port = String(options.port[0]);
    url.username = options.user;
    if (options.pass) url.password = options.pass;
    url.pathname = `/${row!.db}`;
    const email = `first-admin-${Date.now()}@example.com`;
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', 'scripts/admin-create.ts', '--email', email], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: url.toString(), APP_ORIGIN: 'http://app.test' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    const token = /reset-password\?token=(pr_[A-Za-z0-9_-]{43})/.exec(output)?.[1];
    expect(token).toBeDefined();
    const [user] = await server.deps.sql<{ id: string; role: string }[]>`select id, role from users where email = ${email}`;
    expect(user?.role).toBe('admin');
    const audited = await server.deps.sql<{ actor_type: string; actor_id: string }[]>`select actor_type, actor_id from audit_log where action = 'admin.created' and subject_id = ${user!.id}`;
    expect(audited).toEqual([{ actor_type: 'system', actor_id: 'admin:create' }]);
    await server.client().auth.resetPassword.mutate({ token: token!, newPassword: STRONG_PASSWORD });
    expect((await refusalOf(server.client().auth.resetPassword.mutate({ token: token!, newPassword: STRONG_PASSWORD })))?.reason).toBe('invalid_token');
    const login = tokensOf(await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
    await expect(server.client({ accessToken: login.accessToken! }).admin.users.list.query({})).resolves.toBeDefined();
  });
});
