import type { Database } from './client.ts';
import { postgresErrorOf } from './errors.ts';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Transaction = Tx;

const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `fn` in a transaction, retrying a bounded number of times on serialization failures and
 * deadlocks — the two errors Postgres asks the client to retry. Anything else propagates.
 */
export function withTransaction<T>(
  db: Database,
  fn: (tx: Tx) => Promise<T>,
  options: { retries?: number; isolationLevel?: 'read committed' | 'repeatable read' | 'serializable' } = {},
): Promise<T> {
  return withRetries(() => db.transaction(fn, options.isolationLevel ? { isolationLevel: options.isolationLevel } : undefined), options.retries);
}

/**
 * Runs a statement (or a whole transaction) again, a bounded number of times with a short jittered
 * backoff, when Postgres answers a serialization failure or a deadlock: a single statement is its
 * own transaction and can meet both.
 */
export async function withRetries<T>(operation: () => Promise<T>, retries = 3): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const code = postgresErrorOf(error)?.code;
      if (attempt >= retries || !code || !RETRYABLE.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt + Math.random() * 10));
    }
  }
}
