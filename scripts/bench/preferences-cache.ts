import { randomUUID } from 'node:crypto';
import type { DbHandle } from '@bastion/db';
import { PreferencesStore } from '@bastion/api';
import { compare, count, ms, ratio, same, table, target } from './measure.ts';

const USERS = 1_000;
const RUNS = 20;
const TARGET = 50;

/**
 * PreferencesStore reads for 1 000 users in turn: through its LRU cache (every user cached after
 * the warm-up) against the same store with caching off (ttlMs 0: one database read per call).
 */
export async function benchPreferences({ db, sql }: DbHandle): Promise<void> {
  const users = Array.from({ length: USERS }, () => randomUUID());
  await sql`insert into users (id, email, password_hash) select id, id || '@prefs.example.com', 'x' from unnest(${users}::uuid[]) as id`;
  await sql`insert into user_preferences (user_id, theme) select id, 'dark' from unnest(${users}::uuid[]) as id`;

  const cached = new PreferencesStore({ ttlMs: 10 * 60_000, maxEntries: USERS * 2 });
  const direct = new PreferencesStore({ ttlMs: 0, maxEntries: USERS * 2 });
  let next = 0;
  const reader = (store: PreferencesStore) => () => store.get(db, users[next++ % USERS]!);
  same('preferences', await direct.get(db, users[0]!), await cached.get(db, users[0]!));

  // A run reads every user once, so the warm-up fills the cache and the measured runs all hit it.
  const stats = await compare({ cached: reader(cached), direct: reader(direct) }, { warmup: 1, runs: RUNS, batch: USERS });
  console.log(
    table([
      ['read (mean per call in a run of 1 000)', 'median', 'p95'],
      ['cached (LRU hit)', ms(stats.cached.median), ms(stats.cached.p95)],
      ['direct (DB read)', ms(stats.direct.median), ms(stats.direct.p95)],
    ]),
  );
  const measured = stats.direct.median / stats.cached.median;
  console.log(`ratio: a database read is ${ratio(stats.direct.median, stats.cached.median)} slower than a cache hit (median of ${RUNS} runs × ${count(USERS)} reads); ${target(measured, TARGET)}`);
}
