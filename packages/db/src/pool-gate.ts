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
  /** Operations (a query, or a whole transaction) that may be in flight at once: `size` × the pipeline depth. */
  capacity: number;
  /** Operations in flight now (a transaction is one); past `size` only while pipelining. */
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
 * Past this age of the oldest operation in flight, no statement is pipelined: one of them may be
 * slow, and a statement sent behind it on its connection would wait for it, where a queued one
 * waits at most the acquire timeout. A cheap read takes well under a millisecond; 50 ms leaves
 * room for a GC pause or a busy event loop without pipelining behind a statement that is stuck.
 */
export const PIPELINE_MAX_AGE_MS = 50;

interface Waiter {
  weight: number;
  grant(): void;
}

/**
 * Admission control in front of the postgres.js pool, which has neither statistics nor a bounded
 * wait. Up to `size` operations hold a connection each; while every one of them is young
 * (`PIPELINE_MAX_AGE_MS`), up to `pipeline` statements per connection are in flight at once —
 * postgres.js sends a statement on a busy connection when none is idle (pipelining), which saves
 * a round trip and a write per statement under load (ADR 032). A transaction holds its connection
 * alone, so it counts as `pipeline` operations. Later operations queue in order for at most
 * `acquireTimeoutMs` and then fail with PoolTimeoutError instead of hanging.
 */
export class PoolGate {
  readonly size: number;
  readonly pipeline: number;
  readonly capacity: number;
  private readonly acquireTimeoutMs: number;
  private readonly pipelineMaxAgeMs: number;
  /** Slots taken: a statement takes one, a transaction `pipeline` (its whole connection). */
  private units = 0;
  private operations = 0;
  private readonly queue: Waiter[] = [];
  /** Start times (ms) of the operations in flight, in start order: the first is the oldest. */
  private readonly started = new Map<number, number>();
  private nextId = 0;
  private readonly onRefused: () => void;
  statements = 0;

  constructor(options: { size: number; pipeline?: number; acquireTimeoutMs: number; pipelineMaxAgeMs?: number; onRefused?: () => void }) {
    this.size = options.size;
    this.pipeline = Math.max(1, options.pipeline ?? 1);
    this.capacity = this.size * this.pipeline;
    this.acquireTimeoutMs = options.acquireTimeoutMs;
    this.pipelineMaxAgeMs = options.pipelineMaxAgeMs ?? PIPELINE_MAX_AGE_MS;
    this.onRefused = options.onRefused ?? (() => {});
  }

  stats(): PoolStats {
    return { size: this.size, capacity: this.capacity, inUse: this.operations, waiting: this.queue.length, statements: this.statements };
  }

  /** Every slot taken and someone waiting for one. */
  saturated(): boolean {
    return this.queue.length > 0 && !this.fits(1);
  }

  /** `weight` 1 for a statement, `pipeline` for a transaction (it holds a whole connection). */
  async run<T>(operation: () => Promise<T>, weight = 1): Promise<T> {
    const units = Math.min(weight, this.pipeline);
    await this.acquire(units);
    this.operations++;
    const id = this.nextId++;
    this.started.set(id, performance.now());
    try {
      return await operation();
    } finally {
      this.started.delete(id);
      this.operations--;
      this.release(units);
    }
  }

  /** Within `size` always; past it (pipelining) only while the oldest operation in flight is young. */
  private fits(units: number): boolean {
    if (this.units + units <= this.size) return true;
    if (this.units + units > this.capacity) return false;
    const oldest = this.started.values().next();
    return oldest.done === true || performance.now() - oldest.value < this.pipelineMaxAgeMs;
  }

  private acquire(units: number): Promise<void> {
    if (this.queue.length === 0 && this.fits(units)) {
      this.units += units;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        weight: units,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        this.onRefused();
        reject(new PoolTimeoutError(this.acquireTimeoutMs));
        this.admitWaiting(); // a heavy waiter that left may have been blocking lighter ones behind it
      }, this.acquireTimeoutMs);
      this.queue.push(waiter);
    });
  }

  private release(units: number): void {
    this.units -= units;
    this.admitWaiting();
  }

  /** In arrival order: a transaction at the head waits for a whole connection before anyone behind it. */
  private admitWaiting(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.weight)) {
      const next = this.queue.shift()!;
      this.units += next.weight;
      next.grant();
    }
  }
}

type PendingQuery = postgres.PendingQuery<postgres.Row[]>;

/**
 * Returns `sql` with every pool operation passed through the gate: tagged queries and `unsafe`
 * (Drizzle's queries) as one operation each, `begin` (Drizzle's transactions) as one whole
 * connection for its whole duration. postgres.js queries are lazy until awaited, so the query object itself is
 * returned (callers chain `.values()` on it) with its `then` deferred until the gate admits it.
 */
export function gateSql(sql: postgres.Sql, gate: PoolGate, onSettled: (event: OperationSettled) => void): postgres.Sql {
  // A transaction holds its connection alone: it weighs as much as a connection's pipeline.
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
    }, kind === 'transaction' ? gate.pipeline : 1);

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
