import type { Sql } from '@bastion/db';

/** Points used in the current window of one key, and the milliseconds until that window resets. */
export interface Count {
  points: number;
  msBeforeReset: number;
}

/** Where rate-limit counters live: adds one point per entry (its window starting if none is open). */
export interface CounterStore {
  /** Answers in the order of `entries`. */
  increment(entries: readonly { policy: string; key: string }[]): Promise<Count[]>;
  get(policy: string, key: string): Promise<Count | null>;
}

// Explicit array types: postgres.js cannot infer a one-element array's type from a cast.
const TEXT_ARRAY = 1009;
const INT4_ARRAY = 1007;

/** The stored name of a policy's counter for one key (also rate-limiter-flexible's `keyPrefix:key`). */
export const counterKey = (policy: string, key: string) => `rl:${policy}:${key}`;

/**
 * Fixed-window counters in the UNLOGGED `rate_limits` table: every charge of a call in one
 * statement (a multi-row upsert), on a pool of its own with `synchronous_commit = off`, so counting
 * costs one short round trip and never waits for a disk flush. An unlogged table is emptied by a
 * crash: counters restart, which a rate limit tolerates (ADR 020).
 */
export function postgresCounterStore(sql: Sql, windowOf: (policy: string) => number): CounterStore {
  return {
    async increment(entries) {
      // One order for every statement, so two calls sharing keys cannot deadlock.
      const order = entries.map((entry, index) => ({ key: counterKey(entry.policy, entry.key), window: windowOf(entry.policy), index })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const rows = await sql<{ key: string; points: number; ms: number }[]>`
        insert into rate_limits as r (key, points, expire)
        select k, 1, now() + make_interval(secs => w)
        from unnest(${sql.array(order.map((o) => o.key), TEXT_ARRAY)}, ${sql.array(order.map((o) => o.window), INT4_ARRAY)}) with ordinality as t(k, w, n)
        order by n
        on conflict (key) do update set
          points = case when r.expire > now() then r.points + 1 else 1 end,
          expire = case when r.expire > now() then r.expire else excluded.expire end
        returning r.key, r.points, greatest(0, ceil(extract(epoch from r.expire - now()) * 1000))::int as ms`;
      const byKey = new Map(rows.map((row) => [row.key, row]));
      const counts: Count[] = new Array(entries.length);
      for (const { key, index } of order) {
        const row = byKey.get(key);
        if (!row) throw new Error('rate-limit upsert returned no row');
        counts[index] = { points: row.points, msBeforeReset: row.ms };
      }
      return counts;
    },
    async get(policy, key) {
      const [row] = await sql<{ points: number; ms: number }[]>`
        select points, greatest(0, ceil(extract(epoch from expire - now()) * 1000))::int as ms
        from rate_limits where key = ${counterKey(policy, key)} and expire > now()`;
      return row ? { points: row.points, msBeforeReset: row.ms } : null;
    },
  };
}
