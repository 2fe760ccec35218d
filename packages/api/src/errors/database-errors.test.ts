import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/helpers/database.ts';
import { post, startTestServer, type TestServer } from '../../../../test/helpers/server.ts';
import { metricValue, signUp } from '../../../../test/helpers/users.ts';

/**
 * Every kind of database failure, triggered through the real HTTP API, must reach the client as a
 * stable safe code with nothing of the database in the body. A trigger on `contacts` (installed in
 * this file's own database) raises any SQLSTATE with a message, detail, hint, table, column and
 * constraint full of internals; other failures are real (foreign key, timeout, lost connection,
 * saturated pool).
 */
let server: TestServer;
let db: postgres.Sql;
let user: Awaited<ReturnType<typeof signUp>>;
let url: string;

const CANARY = 'param-canary-7c1e';
const LEAKS = /contacts|outbox|owner_id|constraint|insert |select |update |delete |\$1|Key \(|lower\(|pg_|relation|column|sql|postgres|PostgresError|stack|canary/i;

beforeAll(async () => {
  url = await createTestDatabase();
  db = postgres(url, { max: 2, onnotice: () => {} });
  await db.unsafe(`
    create sequence test_attempts;
    create function test_fail() returns trigger language plpgsql as $$
    declare
      state text := substring(new.name from '^fail:([0-9A-Z]{5})');
    begin
      if new.name = 'slow' then perform pg_sleep(3); end if;
      if new.name = 'cut off' then perform pg_sleep(5); end if;
      if new.name = 'flaky' and nextval('test_attempts') = 1 then state := '40001'; end if;
      if new.name = 'deadlocked' then perform nextval('test_attempts'); state := '40P01'; end if;
      if state is not null then
        raise exception 'duplicate key value violates unique constraint "contacts_owner_email_key" (insert into contacts values ($1))'
          using errcode = state, detail = 'Key (owner_id, lower(email))=(${CANARY}) already exists.', hint = 'select * from contacts',
                table = 'contacts', column = 'owner_id', constraint = 'contacts_secret_key';
      end if;
      return new;
    end $$;
    create trigger test_fail before insert on contacts for each row execute function test_fail();`);
  server = await startTestServer({ DB_STATEMENT_TIMEOUT_MS: '300', DB_POOL_MAX: '2', DB_POOL_ACQUIRE_TIMEOUT_MS: '200' }, url);
  user = await signUp(server);
});

afterAll(async () => {
  await db?.end();
  await server?.close();
});

let calls = 0;
const createRaw = (name: string, accessToken = user.accessToken) =>
  post(server, 'contacts.create', { name, email: `${CANARY}-${calls++}@example.com`, notes: CANARY }, { authorization: `Bearer ${accessToken}` });

function expectSafe(response: { status: number; text: string; json: unknown }, status: number, reason: string) {
  expect(response.status).toBe(status);
  expect((response.json as { error: { data: { reason: string; requestId: string } } }).error.data).toMatchObject({ reason, requestId: expect.any(String) });
  // The procedure path is the API's own name, not the table's.
  expect(response.text.replace(/"path":"contacts\.(create|list)"/, '')).not.toMatch(LEAKS);
}

describe('database errors over HTTP', () => {
  it.each([
    ['23505', 409, 'resource_already_exists'],
    ['23503', 400, 'related_resource_missing'],
    ['23514', 400, 'invalid_value'],
    ['23502', 400, 'missing_value'],
    ['22001', 400, 'value_too_long'],
    ['22P02', 400, 'invalid_value'],
    ['22021', 400, 'invalid_value'],
    ['57014', 408, 'query_timeout'],
    ['57P01', 503, 'database_unavailable'],
    ['08006', 503, 'database_unavailable'],
    ['53300', 503, 'database_unavailable'],
  ])('SQLSTATE %s answers %i %s with no database detail', async (state, status, reason) => {
    expectSafe(await createRaw(`fail:${state}`), status, reason);
  });

  it('an unknown SQLSTATE is an opaque internal error', async () => {
    expectSafe(await createRaw('fail:XX000'), 500, 'internal_server_error');
  });

  it('a real foreign-key violation (the user vanished mid-session) is safe', async () => {
    const doomed = await signUp(server);
    await doomed.client.contacts.list.query({}); // the session is now cached
    await db`delete from users where id = ${doomed.id}`;
    expectSafe(await createRaw('Orphan', doomed.accessToken), 400, 'related_resource_missing');
  });

  it('a real statement timeout answers 408 query_timeout, and is counted', async () => {
    const before = await metricValue(server, 'bastion_db_statement_timeouts_total');
    expectSafe(await createRaw('slow'), 408, 'query_timeout');
    expect(await metricValue(server, 'bastion_db_statement_timeouts_total')).toBe(before + 1);
    // contacts.create is one statement (the contact and its outbox row), its own transaction.
    expect(await metricValue(server, 'bastion_db_operation_duration_seconds_count{kind="query",outcome="error"}')).toBeGreaterThan(0);
  });

  it('a connection lost mid-query answers 503 database_unavailable, and the pool recovers', async () => {
    // Its own server, without the short statement timeout, so only the lost connection can end the insert.
    const other = await startTestServer({}, url);
    try {
      const me = await signUp(other);
      const pending = post(other, 'contacts.create', { name: 'cut off', notes: CANARY }, { authorization: `Bearer ${me.accessToken}` });
      // The server's backend running the insert, as a database restart or failover would end it.
      const running = async () => (await db`select pid from pg_stat_activity where query like '%insert into contacts (owner_id%' and query not like '%pg_stat_activity%' and state = 'active'`).map((row) => row.pid as number);
      let pids: number[] = [];
      while (pids.length === 0) pids = await running();
      await db`select pg_terminate_backend(pid) from unnest(${pids}::int[]) as pid`;
      expectSafe(await pending, 503, 'database_unavailable');
      // The killed connection leaves nothing behind: the next statements on the pool succeed.
      for (let i = 0; i < 3; i++) {
        const next = await post(other, 'contacts.create', { name: `After the crash ${i}` }, { authorization: `Bearer ${me.accessToken}` });
        expect(next.status).toBe(200);
      }
    } finally {
      await other.close();
    }
  });

  it('retries a serialization failure and succeeds', async () => {
    const response = await createRaw('flaky');
    expect(response.status).toBe(200);
    const [{ last_value }] = (await db`select last_value::int from test_attempts`) as unknown as [{ last_value: number }];
    expect(last_value).toBe(2);
  });

  it('gives up on a persistent deadlock after a bounded number of attempts', async () => {
    await db`select setval('test_attempts', 1, false)`;
    expectSafe(await createRaw('deadlocked'), 409, 'concurrent_update');
    const [{ last_value }] = (await db`select last_value::int from test_attempts`) as unknown as [{ last_value: number }];
    expect(last_value).toBe(4); // the first attempt and three retries
  });

  it('a saturated pool answers 503 database_busy at once, and /readyz reports it', async () => {
    await user.client.contacts.list.query({}); // the session check is cached, so only the list needs a connection
    // Both pool connections wait on a lock this test holds: they stay busy until it lets go, however slow the machine.
    const gatekeeper = await db.reserve();
    await gatekeeper`select pg_advisory_lock(4242)`;
    let held = true;
    const hold = () =>
      server.deps.sql.begin(async (tx) => {
        await tx`set local statement_timeout = 0`;
        await tx`select pg_advisory_xact_lock_shared(4242)`;
      });
    const holders = Promise.all([hold(), hold()]).finally(() => (held = false));
    const inUse = async () => ((await (await fetch(`${server.url}/readyz`)).json()) as { pool: { inUse: number } }).pool.inUse;
    while ((await inUse()) < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await metricValue(server, 'bastion_db_pool_in_use')).toBe(2);
    const [list, ready] = await Promise.all([
      fetch(`${server.url}/trpc/contacts.list?input=${encodeURIComponent('{}')}`, { headers: { authorization: `Bearer ${user.accessToken}` } }),
      fetch(`${server.url}/readyz`),
    ]);
    const text = await list.text();
    expectSafe({ status: list.status, text, json: JSON.parse(text) }, 503, 'database_busy');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { pool: 'saturated' }, pool: { size: 2, inUse: 2 } });
    // Both answers came while the connections were still held: bounded waits, not hangs.
    expect(held).toBe(true);
    await gatekeeper`select pg_advisory_unlock(4242)`;
    gatekeeper.release();
    await holders;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await metricValue(server, 'bastion_db_pool_timeouts_total')).toBeGreaterThanOrEqual(1);
  });
});
