import type postgres from 'postgres';
import { inSpan, startStatementSpan, startTransactionSpan, statementText, statementTracer, tracedQuery } from './tracing.ts';

/** Thrown when no connection frees up within the acquire timeout: the pool is saturated. */
export class PoolTimeoutError extends Error {
  readonly code = 'POOL_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`no database connection became free within ${timeoutMs} ms`);
    this.name = 'PoolTimeoutError';
  }
}

export interface PoolStats {
  /** Connections the pool may open. */
  size: number;
  /** Operations (a query, or a whole transaction) holding a connection now. */
  inUse: number;
  /** Operations queued for a connection. */
  waiting: number;
  /** Statements sent since start, transactions' BEGIN/COMMIT and inner statements included. */
  statements: number;
}

export interface OperationSettled {
  kind: 'query' | 'transaction';
  seconds: number;
  error: unknown;
}

/**
 * Admission control in front of the postgres.js pool, which has neither statistics nor a bounded
 * wait: at most `size` operations hold a connection, later ones queue for at most
 * `acquireTimeoutMs` and then fail with PoolTimeoutError instead of hanging.
 */
export class PoolGate {
  readonly size: number;
  private readonly acquireTimeoutMs: number;
  private inUse = 0;
  private readonly queue: { grant: () => void }[] = [];
  private readonly onRefused: () => void;
  statements = 0;

  constructor(options: { size: number; acquireTimeoutMs: number; onRefused?: () => void }) {
    this.size = options.size;
    this.acquireTimeoutMs = options.acquireTimeoutMs;
    this.onRefused = options.onRefused ?? (() => {});
  }

  stats(): PoolStats {
    return { size: this.size, inUse: this.inUse, waiting: this.queue.length, statements: this.statements };
  }

  /** All connections in use and someone waiting for one. */
  saturated(): boolean {
    return this.inUse >= this.size && this.queue.length > 0;
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await operation();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.inUse < this.size) {
      this.inUse++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        this.onRefused();
        reject(new PoolTimeoutError(this.acquireTimeoutMs));
      }, this.acquireTimeoutMs);
      this.queue.push(waiter);
    });
  }

  /** A freed connection passes straight to the next waiter, so `inUse` stays at `size`. */
  private release(): void {
    const next = this.queue.shift();
    if (next) next.grant();
    else this.inUse--;
  }
}

type PendingQuery = postgres.PendingQuery<postgres.Row[]>;

/**
 * Returns `sql` with every pool operation passed through the gate: tagged queries and `unsafe`
 * (Drizzle's queries) as one operation each, `begin` (Drizzle's transactions) as one operation for
 * its whole duration. postgres.js queries are lazy until awaited, so the query object itself is
 * returned (callers chain `.values()` on it) with its `then` deferred until the gate admits it.
 */
export function gateSql(sql: postgres.Sql, gate: PoolGate, onSettled: (event: OperationSettled) => void): postgres.Sql {
  const timed = async <T>(kind: OperationSettled['kind'], operation: () => Promise<T>): Promise<T> =>
    gate.run(async () => {
      const startedAt = process.hrtime.bigint();
      let failure: unknown = null;
      try {
        return await operation();
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        onSettled({ kind, seconds: Number(process.hrtime.bigint() - startedAt) / 1e9, error: failure });
      }
    });

  const gated = (query: PendingQuery): PendingQuery => {
    gate.statements++;
    const execute = query.then.bind(query);
    let settled: Promise<unknown> | undefined;
    // With tracing off (no tracer) this costs one check: no span, nothing more allocated.
    const then = (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) => {
      if (!settled) {
        const tracer = statementTracer();
        settled = tracer ? inSpan(startStatementSpan(tracer, statementText(query as never)), () => run(timed, execute)) : run(timed, execute);
      }
      return settled.then(onFulfilled, onRejected);
    };
    // postgres.js's own catch/finally would execute the query at once, past the gate.
    Object.defineProperties(query, {
      then: { value: then },
      catch: { value: (onRejected?: (reason: unknown) => unknown) => then(undefined, onRejected) },
      finally: { value: (onFinally?: () => void) => then(...finallyHandlers(onFinally)) },
    });
    return query;
  };

  const counting = (inner: postgres.TransactionSql): postgres.TransactionSql =>
    new Proxy(inner, {
      apply: (target, thisArg, args) => {
        gate.statements++;
        const result = Reflect.apply(target, thisArg, args) as unknown;
        return isPendingQuery(result) && Array.isArray(args[0]) && 'raw' in (args[0] as object) ? tracedQuery(result) : result;
      },
      get: (target, property, receiver) => {
        if (property === 'unsafe') {
          return (...args: Parameters<postgres.Sql['unsafe']>) => {
            gate.statements++;
            return tracedQuery(target.unsafe(...args) as PendingQuery);
          };
        }
        return Reflect.get(target, property, receiver);
      },
    });

  return new Proxy(sql, {
    apply: (target, thisArg, args) => {
      const result = Reflect.apply(target, thisArg, args) as unknown;
      // `sql(identifier)` builds a fragment rather than a query; only queries are gated.
      return isPendingQuery(result) && Array.isArray(args[0]) && 'raw' in (args[0] as object) ? gated(result) : result;
    },
    get: (target, property, receiver) => {
      if (property === 'unsafe') return (...args: Parameters<postgres.Sql['unsafe']>) => gated(target.unsafe(...args) as PendingQuery);
      if (property === 'begin') {
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const options = args[0] as string | undefined;
          gate.statements += 2; // BEGIN and COMMIT/ROLLBACK
          const wrapped = (tx: postgres.TransactionSql) => fn(counting(tx));
          const begin = () => (options ? target.begin(options, wrapped) : target.begin(wrapped));
          const tracer = statementTracer();
          return tracer ? inSpan(startTransactionSpan(tracer), () => timed('transaction', begin)) : timed('transaction', begin);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

type Timed = <T>(kind: OperationSettled['kind'], operation: () => Promise<T>) => Promise<T>;

/** A gated query's execution once the gate admits it. */
function run(timed: Timed, execute: (resolve: (value: unknown) => void, reject: (reason: unknown) => void) => unknown): Promise<unknown> {
  return timed('query', () => new Promise((resolve, reject) => void execute(resolve, reject)));
}

function finallyHandlers(onFinally?: () => void): [(value: unknown) => unknown, (reason: unknown) => unknown] {
  return [
    (value) => {
      onFinally?.();
      return value;
    },
    (reason) => {
      onFinally?.();
      throw reason;
    },
  ];
}

function isPendingQuery(value: unknown): value is PendingQuery {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function' && 'values' in value;
}
