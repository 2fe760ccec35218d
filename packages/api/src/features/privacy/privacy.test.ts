import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_CLASSES } from './data-classes.ts';
import { verifyAuditChain } from '../audit/verify.ts';
import { refusalOf, startTestServer, STRONG_PASSWORD, tokensOf, type TestServer } from '../../../../../test/helpers/server.ts';
import { signUp } from '../../../../../test/helpers/users.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ APP_ORIGIN: 'http://app.test' });
});

afterAll(async () => {
  await server.close();
});

async function mailTo(to: string, subject: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = await server.deps.sql<{ text: string }[]>`select text from mail_outbox where "to" = ${to} and subject = ${subject} order by created_at desc limit 1`;
    if (rows[0]) return rows[0].text;
    if (Date.now() > deadline) throw new Error(`no mail "${subject}" for ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function clearMail(to: string) {
  await server.deps.sql`delete from mail_outbox where "to" = ${to}`;
}

/** A user with something in every data class. */
async function userWithData(label: string) {
  const user = await signUp(server, `${label} Person`);
  await user.client.contacts.create.mutate({ name: `${label} contact`, email: `${label.toLowerCase()}-friend@example.com`, tags: [label.toLowerCase()] });
  await user.client.preferences.update.mutate({ theme: 'dark' });
  const [conversation] = await server.deps.sql<{ id: string }[]>`
    insert into assistant_conversations (owner_id, title, model) values (${user.id}, ${`${label} chat`}, 'local/echo-1') returning id`;
  await server.deps.sql`insert into assistant_messages (conversation_id, owner_id, role, content) values (${conversation!.id}, ${user.id}, 'user', ${`${label} says hello`})`;
  await server.deps.sql`insert into assistant_token_usage (user_id, day, tokens) values (${user.id}, current_date, 42)`;
  return user;
}

async function exportLink(email: string): Promise<string> {
  const text = await mailTo(email, 'Your data export is ready');
  const link = /http:\/\/app\.test(\/account\/export\/dx_[A-Za-z0-9_-]{43})/.exec(text)?.[1];
  if (!link) throw new Error('no link in the mail');
  return link;
}

const download = (link: string, accessToken?: string) => fetch(`${server.url}${link}`, { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });

describe('account.exportData', () => {
  it('mails a single-use link to a zip with every data class and nothing of another user', async () => {
    const alice = await userWithData('Alice');
    const bob = await userWithData('Bob');
    expect(await alice.client.account.exportData.mutate()).toMatchObject({ status: 'pending' });
    const link = await exportLink(alice.email);

    expect((await download(link)).status).toBe(401);
    expect((await download(link, bob.accessToken)).status).toBe(404);
    const response = await download(link, alice.accessToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual([...DATA_CLASSES.map((c) => `${c.name}.json`), 'manifest.json'].sort());
    const content = Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, JSON.parse(strFromU8(bytes)) as unknown]));
    const all = JSON.stringify(content);
    expect(content['profile.json']).toMatchObject({ id: alice.id, email: alice.email, name: 'Alice Person' });
    expect(content['preferences.json']).toMatchObject({ theme: 'dark' });
    expect(content['contacts.json']).toEqual([expect.objectContaining({ name: 'Alice contact' })]);
    expect(content['assistant_conversations.json']).toEqual([expect.objectContaining({ title: 'Alice chat', messages: [expect.objectContaining({ content: 'Alice says hello' })] })]);
    expect(content['assistant_usage.json']).toMatchObject({ dailyTokens: [{ tokens: 42 }] });
    expect((content['sessions.json'] as unknown[]).length).toBeGreaterThan(0);
    expect((content['security_events.json'] as unknown[]).length).toBeGreaterThan(0);
    expect(content['audit_entries.json']).toEqual([expect.objectContaining({ action: 'data_export.requested', subjectId: alice.id })]);
    // Nothing of Bob's, and no secret of Alice's.
    for (const needle of [bob.id, bob.email, 'Bob contact', 'Bob chat', 'Bob says hello']) expect(all).not.toContain(needle);
    expect(all).not.toMatch(/password|token_?hash|secret/i);

    // Once: the archive is gone after the download.
    expect((await download(link, alice.accessToken)).status).toBe(404);
    const [row] = await server.deps.sql<{ status: string; archive: Buffer | null }[]>`select status, archive from data_exports where user_id = ${alice.id}`;
    expect(row).toEqual({ status: 'downloaded', archive: null });
    const audited = await server.deps.sql<{ action: string }[]>`select action from audit_log where subject_id = ${alice.id} and action like 'data_export.%' order by seq`;
    expect(audited.map((r) => r.action)).toEqual(['data_export.requested', 'data_export.downloaded']);
  });

  it('one at a time, three a day, and the link expires after 24 hours', async () => {
    const carol = await signUp(server);
    await carol.client.account.exportData.mutate();
    expect(await refusalOf(carol.client.account.exportData.mutate())).toMatchObject({ code: 'CONFLICT', reason: 'export_in_progress' });
    const first = await exportLink(carol.email);
    // The link's 24 hours pass.
    await server.deps.sql`update data_exports set expires_at = now() - interval '1 second' where user_id = ${carol.id}`;
    expect((await download(first, carol.accessToken)).status).toBe(404);
    await server.deps.sql`update data_exports set status = 'failed' where user_id = ${carol.id}`;
    for (let i = 0; i < 2; i++) {
      await clearMail(carol.email);
      await carol.client.account.exportData.mutate();
      expect((await download(await exportLink(carol.email), carol.accessToken)).status).toBe(200);
    }
    expect(await refusalOf(carol.client.account.exportData.mutate())).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'export_limit_reached' });
    expect(await carol.client.account.privacy.query()).toMatchObject({ exportsLeftToday: 0, openExport: null });
  });
});

function runScript(script: string) {
  const [row] = [server.deps.sql.options as unknown as { host: string[]; port: number[]; user: string; pass: string | null; database: string }];
  const url = new URL('postgres://localhost');
  url.hostname = row!.host[0]!;
  url.port = String(row!.port[0]);
  url.username = row!.user;
  if (row!.pass) url.password = row!.pass;
  url.pathname = `/${row!.database}`;
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', script], { cwd: ROOT, env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: url.toString() } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('account.delete', () => {
  it('needs the password, revokes every session, shows in auth.me, and can be cancelled', async () => {
    const dave = await signUp(server);
    const other = tokensOf(await server.client().auth.login.mutate({ email: dave.email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
    expect(await refusalOf(dave.client.account.delete.mutate({ password: 'not-the-password-at-all' }))).toMatchObject({ reason: 'invalid_password', fieldErrors: { password: expect.any(Array) } });
    const before = Date.now();
    const { deletionAt } = await dave.client.account.delete.mutate({ password: STRONG_PASSWORD });
    const grace = new Date(deletionAt).getTime() - before;
    expect(grace).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(grace).toBeLessThan(7 * 86_400_000 + 60_000);
    for (const token of [dave.accessToken, other.accessToken!]) expect((await refusalOf(server.client({ accessToken: token }).auth.me.query()))?.code).toBe('UNAUTHORIZED');
    await mailTo(dave.email, 'Your account will be deleted');

    // Signing in still works during the grace period.
    const again = tokensOf(await server.client().auth.login.mutate({ email: dave.email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
    const client = server.client({ accessToken: again.accessToken! });
    expect((await client.auth.me.query()).user.deletionScheduledAt).toBe(deletionAt);
    expect(await client.account.cancelDeletion.mutate()).toEqual({ success: true, cancelled: true });
    expect((await client.auth.me.query()).user.deletionScheduledAt).toBeNull();
    const audited = await server.deps.sql<{ action: string }[]>`select action from audit_log where subject_id = ${dave.id} order by seq`;
    expect(audited.map((r) => r.action)).toEqual(['account.deletion_requested', 'account.deletion_cancelled']);
  });

  it('the erasure job leaves no row referencing the user in any table and pseudonymises the audit log', async () => {
    const erin = await userWithData('Erin');
    const keeper = await userWithData('Keeper');
    await erin.client.account.exportData.mutate();
    await exportLink(erin.email);
    await erin.client.account.delete.mutate({ password: STRONG_PASSWORD });
    // Keeper's deletion is scheduled but not due: it stays.
    await keeper.client.account.delete.mutate({ password: STRONG_PASSWORD });
    await server.deps.sql`update users set deletion_scheduled_at = now() - interval '1 second' where id = ${erin.id}`;

    const references = await server.deps.sql<{ table: string; column: string }[]>`
      select c.conrelid::regclass::text as table, a.attname as column
      from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
      where c.contype = 'f' and c.confrelid = 'public.users'::regclass`;
    expect(references.length).toBeGreaterThanOrEqual(12);
    const countOf = async (id: string) => {
      const counts: Record<string, number> = {};
      for (const { table, column } of references) {
        const [row] = await server.deps.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table} where ${column} = $1`, [id]);
        counts[`${table}.${column}`] = row!.n;
      }
      return counts;
    };
    // Before: Erin has rows in many of them (so the check below means something).
    expect(Object.values(await countOf(erin.id)).filter((n) => n > 0).length).toBeGreaterThanOrEqual(8);

    const run = await runScript('scripts/retention-run.ts');
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('accounts erased: 1');

    expect(Object.entries(await countOf(erin.id)).filter(([, n]) => n > 0)).toEqual([]);
    expect(await server.deps.sql`select id from users where id = ${erin.id}`).toHaveLength(0);
    expect(await server.deps.sql`select id from users where id = ${keeper.id}`).toHaveLength(1);
    expect(Object.values(await countOf(keeper.id)).some((n) => n > 0)).toBe(true);

    // The audit log keeps the entries, under a stable pseudonym, and its chain still verifies.
    expect(await server.deps.sql`select seq from audit_log where actor_id = ${erin.id} or subject_id = ${erin.id} or detail::text like ${`%${erin.id}%`}`).toHaveLength(0);
    const pseudonymous = await server.deps.sql<{ action: string; subject_id: string; ip: string | null }[]>`
      select action, subject_id, ip from audit_log where subject_id like 'pseudo:%' order by seq`;
    expect(pseudonymous.map((r) => r.action)).toEqual(['data_export.requested', 'account.deletion_requested', 'account.erased']);
    expect(new Set(pseudonymous.map((r) => r.subject_id)).size).toBe(1);
    for (const row of pseudonymous) expect(row.ip === null || row.ip.startsWith('pseudo:')).toBe(true);
    expect(await verifyAuditChain(server.deps.db, server.deps.config.audit.checkpointKey)).toMatchObject({ ok: true });

    await mailTo(erin.email, 'Your account was deleted');
    expect(await refusalOf(server.client().auth.login.mutate({ email: erin.email, password: STRONG_PASSWORD, tokenDelivery: 'body' }))).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('the last admin cannot delete their account', async () => {
    const isolated = await startTestServer();
    try {
      const admin = await signUp(isolated);
      await isolated.deps.sql`update users set role = 'user' where role = 'admin'`;
      await isolated.deps.sql`update users set role = 'admin' where id = ${admin.id}`;
      expect(await refusalOf(admin.client.account.delete.mutate({ password: STRONG_PASSWORD }))).toMatchObject({ code: 'CONFLICT', reason: 'last_admin' });
    } finally {
      await isolated.close();
    }
  });
});
