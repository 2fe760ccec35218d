// db-outage: PostgreSQL stops under load. Calls must fail fast with 503 database_unavailable (no
// 500, no hung socket), /readyz must flip within 5 s, everything must recover by itself when the
// database returns, and no write may be half-done (every contact has exactly its one outbox event).
import postgres from 'postgres';
import { call, check, drillDatabase, log, percentile, signUp, sleep, startDrillServer, summary, trpcGet, trpcPost, within, type Answer } from './harness.ts';

export async function dbOutage(): Promise<void> {
  const database = await drillDatabase();
  const server = await startDrillServer({ DATABASE_URL: database.url });
  let loading = true;
  const background: Answer[] = [];
  try {
    const user = await signUp(server);
    for (let i = 0; i < 5; i++) await trpcPost(server, 'contacts.create', { name: `Before ${i}` }, user.authorization);

    // Load throughout: reads, single writes and multi-row imports, 8 at a time.
    const worker = async (n: number) => {
      for (let i = 0; loading; i++) {
        const answer =
          i % 3 === 0
            ? await trpcPost(server, 'contacts.importMany', { contacts: [{ name: `Import ${n}-${i}-a` }, { name: `Import ${n}-${i}-b` }, { name: `Import ${n}-${i}-c` }] }, user.authorization)
            : i % 3 === 1
              ? await trpcPost(server, 'contacts.create', { name: `Load ${n}-${i}` }, user.authorization)
              : await trpcGet(server, 'contacts.list', {}, user.authorization);
        background.push(answer);
        if (answer.status !== 200) await sleep(20);
      }
    };
    const workers = Array.from({ length: 8 }, (_, n) => worker(n));
    await sleep(1500);
    check(background.every((answer) => answer.status === 200), `before the outage: ${summary(background)}`);

    log('stopping PostgreSQL under load');
    const stoppedAt = performance.now();
    const beforeStop = background.length;
    await database.stop();

    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? trpcGet(server, 'contacts.list', {}, user.authorization) : trpcPost(server, 'contacts.create', { name: `Burst ${i}` }, user.authorization))));
    log(`burst of 20 during the outage: ${summary(burst)}; p50 ${percentile(burst.map((a) => a.ms), 50).toFixed(0)} ms, max ${Math.max(...burst.map((a) => a.ms)).toFixed(0)} ms`);
    check(burst.every((answer) => answer.status === 503 && answer.reason === 'database_unavailable'), `the burst must answer 503 database_unavailable: ${summary(burst)}`);
    check(Math.max(...burst.map((answer) => answer.ms)) < 3000, `the burst must fail fast (< 3 s each): max ${Math.max(...burst.map((a) => a.ms)).toFixed(0)} ms`);

    const notReady = await within(5000, '/readyz 503 after the database stopped', async () => (await call(`${server.url}/readyz`, {}, 3000)).status === 503);
    log(`/readyz answered 503 ${(performance.now() - stoppedAt).toFixed(0)} ms after the stop (${notReady.toFixed(0)} ms after the burst)`);
    await sleep(1000);

    log('starting PostgreSQL again');
    await database.start();
    const recovered = await within(20_000, '/readyz 200 after the database returned', async () => (await call(`${server.url}/readyz`, {}, 3000)).status === 200);
    log(`ready again ${recovered.toFixed(0)} ms after the database started`);
    await within(10_000, 'an authenticated read succeeding again', async () => (await trpcGet(server, 'contacts.list', {}, user.authorization)).status === 200);
    await sleep(1000);
    loading = false;
    await Promise.all(workers);

    const during = background.slice(beforeStop);
    log(`background load: ${background.length} calls, ${summary(during)} from the stop on`);
    const bad = background.filter((answer) => answer.status === 0 || (answer.status >= 500 && !['database_unavailable', 'database_busy'].includes(answer.reason ?? '')));
    check(bad.length === 0, `no 500s and no hung calls under load: ${summary(bad)}`);
    check(background.slice(-8).every((answer) => answer.status === 200), `recovered by itself: the last calls answered ${summary(background.slice(-8))}`);

    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ contacts: number; events: number; orphans: number; partialImports: number }[]>`
        select
          (select count(*)::int from contacts) as contacts,
          (select count(*)::int from outbox_events where type = 'contact.created') as events,
          (select count(*)::int from contacts c where (select count(*) from outbox_events e where e.aggregate_id = c.id and e.type = 'contact.created') <> 1) as orphans,
          (select count(*)::int from (
             select split_part(name, '-', 1) || split_part(name, '-', 2) as batch, count(*) from contacts where name like 'Import %'
             group by 1 having count(*) <> 3) as partial) as "partialImports"`;
      log(`invariants: ${row!.contacts} contacts, ${row!.events} created events, ${row!.orphans} without exactly one event, ${row!.partialImports} partial imports`);
      check(row!.orphans === 0 && row!.contacts === row!.events, 'every contact has exactly one contact.created event');
      check(row!.partialImports === 0, 'every import of 3 contacts is all there or not at all');
    } finally {
      await sql.end();
    }
  } finally {
    loading = false;
    await server.stop();
    await database.close();
  }
}
