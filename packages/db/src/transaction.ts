import type { Database } from './client.ts';
import { postgresErrorOf } from './errors.ts';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Transaction = Tx;

const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `fn` in a transaction, retrying a bounded number of times on serialization failures and
 * deadlocks — the two errors Postgres asks the client to retry. Anything else propagates.
 */
export async function withTransaction<T>(
  db: Database,
  fn: (tx: Tx) => Promise<T>,
  options: { retries?: number; isolationLevel?: 'read committed' | 'repeatable read' | 'serializable' } = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction(fn, options.isolationLevel ? { isolationLevel: options.isolationLevel } : undefined);
    } catch (error) {
      const code = postgresErrorOf(error)?.code;
      if (attempt >= retries || !code || !RETRYABLE.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt + Math.random() * 10));
    }
  }
}
