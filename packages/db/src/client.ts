import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { gateSql, PoolGate, type OperationSettled, type PoolStats } from './pool-gate.ts';
import * as schema from './schema/index.ts';

export interface DbConfig {
  url: string;
  poolMax: number;
  idleTimeoutSeconds: number;
  maxLifetimeSeconds: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
  /** How long an operation may wait for a free connection before failing (PoolTimeoutError). */
  acquireTimeoutMs?: number;
  /** Statements in flight per connection when every connection is busy (postgres.js pipelining); 1: none. */
  pipeline?: number;
  /** More session settings for every connection (e.g. `synchronous_commit`). */
  sessionSettings?: Record<string, string>;
}

export type Database = ReturnType<typeof drizzle<typeof schema>>;
export type Sql = postgres.Sql;

export interface PoolMonitor {
  stats(): PoolStats;
  saturated(): boolean;
  /** Called as each query or transaction settles (for duration and timeout metrics). */
  onSettled(listener: (event: OperationSettled) => void): void;
  /** Called when an operation gives up waiting for a connection. */
  onRefused(listener: () => void): void;
}

export interface DbHandle {
  db: Database;
  sql: Sql;
  pool: PoolMonitor;
  /** Unique per pool, so the pool's connections can be counted in pg_stat_activity. */
  applicationName: string;
  close(timeoutSeconds?: number): Promise<void>;
}

/** Seconds before a failed connection retries: 25 ms doubling to 250 ms, with jitter (½–1×). */
export function reconnectBackoffSeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.025 * 2 ** Math.min(retries, 10), 0.25);
}

export function createDb(config: DbConfig): DbHandle {
  const applicationName = `bastion:${process.pid}:${randomBytes(3).toString('hex')}`;
  const raw = postgres(config.url, {
    max: config.poolMax,
    idle_timeout: config.idleTimeoutSeconds,
    max_lifetime: config.maxLifetimeSeconds,
    connect_timeout: config.connectTimeoutSeconds,
    // A query handed to a connection that failed waits for its reconnect. postgres.js's default
    // backoff grows with a count shared by the whole pool (3^n/100 s, up to 20 s), so with the
    // database down a burst waited 6–30 s per call; capped at 250 ms, every call fails within
    // about that (503 database_unavailable) and the first connect after recovery is as quick.
    backoff: reconnectBackoffSeconds,
    onnotice: () => {},
    connection: {
      application_name: applicationName,
      statement_timeout: config.statementTimeoutMs,
      TimeZone: 'UTC',
      ...config.sessionSettings,
    },
  });
  const listeners: ((event: OperationSettled) => void)[] = [];
  const refusedListeners: (() => void)[] = [];
  const gate = new PoolGate({
    size: config.poolMax,
    pipeline: config.pipeline ?? 1,
    acquireTimeoutMs: config.acquireTimeoutMs ?? 5_000,
    onRefused: () => refusedListeners.forEach((listener) => listener()),
  });
  const sql = gateSql(raw, gate, (event) => {
    for (const listener of listeners) listener(event);
  });
  const db = drizzle(sql, { schema });
  return {
    db,
    sql,
    pool: {
      stats: () => gate.stats(),
      saturated: () => gate.saturated(),
      onSettled: (listener) => void listeners.push(listener),
      onRefused: (listener) => void refusedListeners.push(listener),
    },
    applicationName,
    close: (timeoutSeconds = 5) => raw.end({ timeout: timeoutSeconds }),
  };
}
