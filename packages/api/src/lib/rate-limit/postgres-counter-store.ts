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

interface Waiter {
  resolve(count: Count): void;
  reject(error: unknown): void;
}

interface PendingKey {
  window: number;
  waiters: Waiter[];
}

/**
 * Fixed-window counters in the UNLOGGED `rate_limits` table, on a pool of its own with
 * `synchronous_commit = off` (ADR 020). Every charge made in one turn of the event loop — both
 * policies of a call, and the calls that arrived together — goes into ONE multi-row upsert that
 * adds each key's number of charges; the row's new total then tells each charge its own count
 * (total − n + 1 … total), exactly as n separate increments would have. An unlogged table is
 * emptied by a crash: counters restart, which a rate limit tolerates.
 */
export function postgresCounterStore(sql: Sql, windowOf: (policy: string) => number): CounterStore {
  let pending = new Map<string, PendingKey>();
  let scheduled = false;

  async function flush(): Promise<void> {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    // One order for every statement, so two flushes sharing keys cannot deadlock.
    const keys = [...batch.keys()].sort();
    try {
      const rows = await sql<{ key: string; points: number; ms: number }[]>`
        insert into rate_limits as r (key, points, expire)
        select k, n, now() + make_interval(secs => w)
        from unnest(${sql.array(keys, TEXT_ARRAY)}, ${sql.array(keys.map((key) => batch.get(key)!.waiters.length), INT4_ARRAY)}, ${sql.array(keys.map((key) => batch.get(key)!.window), INT4_ARRAY)}) with ordinality as t(k, n, w, i)
        order by i
        on conflict (key) do update set
          points = case when r.expire > now() then r.points + excluded.points else excluded.points end,
          expire = case when r.expire > now() then r.expire else excluded.expire end
        returning r.key, r.points, greatest(0, ceil(extract(epoch from r.expire - now()) * 1000))::int as ms`;
      const byKey = new Map(rows.map((row) => [row.key, row]));
      for (const [key, { waiters }] of batch) {
        const row = byKey.get(key);
        if (!row) {
          for (const waiter of waiters) waiter.reject(new Error('rate-limit upsert returned no row'));
          continue;
        }
        const first = row.points - waiters.length + 1;
        waiters.forEach((waiter, i) => waiter.resolve({ points: first + i, msBeforeReset: row.ms }));
      }
    } catch (error) {
      for (const { waiters } of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }

  function charge(key: string, window: number): Promise<Count> {
    return new Promise<Count>((resolve, reject) => {
      const entry = pending.get(key);
      if (entry) entry.waiters.push({ resolve, reject });
      else pending.set(key, { window, waiters: [{ resolve, reject }] });
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    });
  }

  return {
    increment(entries) {
      return Promise.all(entries.map((entry) => charge(counterKey(entry.policy, entry.key), windowOf(entry.policy))));
    },
    async get(policy, key) {
      const [row] = await sql<{ points: number; ms: number }[]>`
        select points, greatest(0, ceil(extract(epoch from expire - now()) * 1000))::int as ms
        from rate_limits where key = ${counterKey(policy, key)} and expire > now()`;
      return row ? { points: row.points, msBeforeReset: row.ms } : null;
    },
  };
}
