import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { startTestServer, type TestServer } from '../../../../../test/helpers/server.ts';
import { signUp } from '../../../../../test/helpers/users.ts';
import { PRUNERS } from './pruners.ts';
import { runRetention } from './retention.job.ts';

let server: TestServer;

beforeAll(async () => {
  // Conversations are kept by default; here they age out after 30 days, and security events after 90.
  server = await startTestServer({ RETENTION: 'assistant_conversations=30d,security_events=90d' });
});

afterAll(async () => {
  await server.close();
});

const run = () => runRetention({ db: server.deps.db, config: server.deps.config, logger: server.deps.logger, jobs: server.deps.jobs });

/** Moves a row's timestamps into the past, as time would have. */
const age = (table: string, column: string, id: string, interval: string, key = 'id') =>
  server.deps.sql.unsafe(`update ${table} set ${column} = ${column} - $2::interval where ${key} = $1`, [id, interval]);

describe('retention', () => {
  it('removes exactly the aged rows of each data class, and a second run removes nothing', async () => {
    const { sql } = server.deps;
    // The sign-up rows of this test are fresh; the table may hold others, so ids are tracked.
    const user = await signUp(server);
    const ids = async (table: string, where = 'true') => (await sql.unsafe<{ id: string }[]>(`select id::text from ${table} where ${where} order by id`)).map((r) => r.id);

    const [oldEvent, newEvent, edgeEvent] = await sql<{ id: string }[]>`
      insert into security_events (user_id, type) values (${user.id}, 'login_succeeded'), (${user.id}, 'login_succeeded'), (${user.id}, 'login_succeeded') returning id`;
    await age('security_events', 'created_at', oldEvent!.id, '91 days');
    await age('security_events', 'created_at', edgeEvent!.id, '89 days');

    const [expired, revoked, live] = await sql<{ id: string }[]>`
      insert into sessions (user_id, expires_at, revoked_at) values
        (${user.id}, now() - interval '31 days', null),
        (${user.id}, now() + interval '1 day', now() - interval '31 days'),
        (${user.id}, now() - interval '29 days', null) returning id`;

    const [oldMail, newMail] = await sql<{ id: string }[]>`
      insert into mail_outbox ("to", subject, text, html) values ('a@example.com', 's', 't', 'h'), ('b@example.com', 's', 't', 'h') returning id`;
    await age('mail_outbox', 'created_at', oldMail!.id, '8 days');

    const [oldChat, newChat] = await sql<{ id: string }[]>`
      insert into assistant_conversations (owner_id, title, model) values (${user.id}, 'old', 'm'), (${user.id}, 'new', 'm') returning id`;
    await age('assistant_conversations', 'updated_at', oldChat!.id, '31 days');

    const [oldRequest, newRequest] = await sql<{ id: string }[]>`
      insert into assistant_requests (owner_id, request_id, input_hash) values (${user.id}, gen_random_uuid(), 'h'), (${user.id}, gen_random_uuid(), 'h') returning request_id as id`;
    await sql`update assistant_requests set created_at = now() - interval '25 hours' where request_id = ${oldRequest!.id}`;

    const [oldExport, openExport] = await sql<{ id: string }[]>`
      insert into data_exports (user_id, status, expires_at) values (${user.id}, 'downloaded', now() - interval '1 hour'), (${user.id}, 'ready', now() + interval '1 hour') returning id`;
    await age('data_exports', 'requested_at', oldExport!.id, '25 hours');
    await age('data_exports', 'requested_at', openExport!.id, '25 hours');

    await sql`insert into auth_throttle (key, count, window_started_at, locked_until) values
      ('retention:stale', 3, now() - interval '25 hours', null), ('retention:fresh', 3, now() - interval '23 hours', null)`;

    // Email changes: settled long ago (gone), and recent (kept).
    const [oldChange, undoneChange, recentChange] = await sql<{ id: string }[]>`
      insert into email_changes (user_id, old_email, new_email, created_at, confirmed_at, reverted_at, superseded_at) values
        (${user.id}, 'a@example.com', 'b@example.com', now() - interval '40 days', now() - interval '40 days', null, null),
        (${user.id}, 'b@example.com', 'c@example.com', now() - interval '35 days', now() - interval '35 days', now() - interval '34 days', null),
        (${user.id}, 'c@example.com', 'd@example.com', now() - interval '20 days', null, null, now() - interval '20 days')
      returning id`;

    const first = await run();
    expect(first.removed).toMatchObject({ mail_outbox: 1, assistant_conversations: 1, assistant_requests: 1, data_exports: 1, auth_throttle: 1, expired_sessions: 2, email_changes: 2 });
    expect(first.removed.security_events).toBeGreaterThanOrEqual(1);
    expect(first.kept).toEqual([]);

    expect(await ids('security_events', `id in ('${oldEvent!.id}', '${newEvent!.id}', '${edgeEvent!.id}')`)).toEqual([newEvent!.id, edgeEvent!.id].sort());
    expect(await ids('sessions', `id in ('${expired!.id}', '${revoked!.id}', '${live!.id}')`)).toEqual([live!.id]);
    expect(await ids('mail_outbox', `id in ('${oldMail!.id}', '${newMail!.id}')`)).toEqual([newMail!.id]);
    expect(await ids('assistant_conversations', `owner_id = '${user.id}'`)).toEqual([newChat!.id]);
    expect(await ids('data_exports', `user_id = '${user.id}'`)).toEqual([openExport!.id]);
    expect((await sql<{ id: string }[]>`select request_id::text as id from assistant_requests where owner_id = ${user.id}`).map((r) => r.id)).toEqual([newRequest!.id]);
    expect((await sql<{ key: string }[]>`select key from auth_throttle where key like 'retention:%'`).map((r) => r.key)).toEqual(['retention:fresh']);
    expect(await ids('email_changes', `id in ('${oldChange!.id}', '${undoneChange!.id}', '${recentChange!.id}')`)).toEqual([recentChange!.id]);

    const second = await run();
    expect(Object.values(second.removed).every((n) => n === 0)).toBe(true);
    const audited = await sql<{ detail: { removed: Record<string, number> } }[]>`select detail from audit_log where action = 'retention.ran' order by seq`;
    expect(audited).toHaveLength(2);
    expect(audited[0]!.detail.removed.mail_outbox).toBe(1);
    expect(server.logs.some((line) => line.includes('retention applied'))).toBe(true);
  });

  it('keeps an email change whose link still works, however short the age', async () => {
    const { sql } = server.deps;
    const user = await signUp(server);
    const [undoable, confirmable, lapsed, settled] = await sql<{ id: string }[]>`
      insert into email_changes (user_id, old_email, new_email, created_at, confirmed_at) values
        (${user.id}, 'a@example.com', 'b@example.com', now() - interval '2 days', now() - interval '2 days'),
        (${user.id}, 'b@example.com', 'c@example.com', now() - interval '2 hours', null),
        (${user.id}, 'b@example.com', 'x@example.com', now() - interval '30 hours', null),
        (${user.id}, 'z@example.com', 'a@example.com', now() - interval '8 days', now() - interval '8 days')
      returning id`;
    // An hour: shorter than both links' lives. (Other tests' rows may go too: only this user's are checked.)
    expect(await PRUNERS.email_changes({ db: server.deps.db, config: server.deps.config }, 3600)).toBeGreaterThanOrEqual(2);
    const left = await sql<{ id: string }[]>`select id::text from email_changes where user_id = ${user.id} order by created_at`;
    expect(left.map((row) => row.id).sort()).toEqual([undoable!.id, confirmable!.id].sort());
    expect([lapsed!.id, settled!.id].some((id) => left.some((row) => row.id === id))).toBe(false);
  });

  it('removes finished jobs past their age and keeps the rest', async () => {
    const { sql } = server.deps;
    await sql`insert into pgboss.job (name, data, state, completed_on) values
      ('send-mail', '{}', 'completed', now() - interval '8 days'),
      ('send-mail', '{}', 'completed', now() - interval '6 days'),
      ('send-mail', '{}', 'created', null)`;
    const before = await sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = 'send-mail'`;
    const report = await run();
    expect(report.removed.completed_jobs).toBeGreaterThanOrEqual(1);
    const after = await sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = 'send-mail' and completed_on < now() - interval '7 days'`;
    expect(after[0]!.n).toBe(0);
    const kept = await sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = 'send-mail'`;
    expect(kept[0]!.n).toBe(before[0]!.n - report.removed.completed_jobs!);
  });

  it('RETENTION overrides are checked against the table, and off keeps a class', () => {
    expect(loadConfig({ RETENTION: 'security_events=off,mail_outbox=12h' }).compliance.retention).toMatchObject({ security_events: null, mail_outbox: 43_200 });
    expect(() => loadConfig({ RETENTION: 'unknown_class=1d' })).toThrow(/not a data class/);
    expect(() => loadConfig({ RETENTION: 'mail_outbox=soon' })).toThrow(/RETENTION/);
  });

  it('runs daily on one schedule for every instance', async () => {
    const rows = await server.deps.sql<{ name: string; cron: string }[]>`select name, cron from pgboss.schedule where name in ('retention', 'account-erasure') order by name`;
    expect(rows).toEqual([
      { name: 'account-erasure', cron: '41 * * * *' },
      { name: 'retention', cron: '17 3 * * *' },
    ]);
  });
});
