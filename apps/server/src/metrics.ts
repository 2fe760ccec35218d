import client from 'prom-client';
import { postgresErrorOf, type PoolMonitor, type Sql } from '@bastion/db';

export interface Metrics {
  registry: client.Registry;
  requestDuration: client.Histogram<'procedure' | 'type' | 'code'>;
  inFlight: client.Gauge;
}

/**
 * postgres.js keeps no pool statistics. Open connections are counted where they are visible
 * (pg_stat_activity, filtered by this pool's unique application_name); connections in use and
 * operations waiting for one come from the pool gate in front of postgres.js.
 */
export function createMetrics(options: { registry: client.Registry; sql: Sql; applicationName: string; poolMax: number; pool: PoolMonitor }): Metrics {
  const { registry } = options;
  client.collectDefaultMetrics({ register: registry });
  const requestDuration = new client.Histogram({
    name: 'bastion_trpc_request_duration_seconds',
    help: 'tRPC procedure duration by procedure, type and result code',
    labelNames: ['procedure', 'type', 'code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new client.Gauge({ name: 'bastion_http_requests_in_flight', help: 'HTTP requests being served', registers: [registry] });
  new client.Gauge({ name: 'bastion_db_pool_max', help: 'Configured pool size', registers: [registry] }).set(options.poolMax);
  const poolConnections = new client.Gauge({
    name: 'bastion_db_pool_connections',
    help: 'Open pool connections by state (active = in use)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const rows = await options.sql<{ total: number; active: number }[]>`
          select count(*)::int as total, count(*) filter (where state <> 'idle')::int as active
          from pg_stat_activity where application_name = ${options.applicationName}`;
        // The scrape's own query holds one connection; it is not application load.
        const total = rows[0]?.total ?? 0;
        const active = Math.max(0, (rows[0]?.active ?? 0) - 1);
        this.set({ state: 'total' }, total);
        this.set({ state: 'active' }, active);
        this.set({ state: 'idle' }, total - active);
      } catch {
        this.reset();
      }
    },
  });
  void poolConnections;
  const { pool } = options;
  new client.Gauge({
    name: 'bastion_db_pool_in_use',
    help: 'Queries or transactions holding a pool connection',
    registers: [registry],
    collect() {
      this.set(pool.stats().inUse);
    },
  });
  new client.Gauge({
    name: 'bastion_db_pool_waiting',
    help: 'Queries or transactions waiting for a free pool connection',
    registers: [registry],
    collect() {
      this.set(pool.stats().waiting);
    },
  });
  new client.Counter({
    name: 'bastion_db_statements_total',
    help: 'Statements sent to PostgreSQL (transactions count BEGIN, COMMIT and each inner statement)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(pool.stats().statements);
    },
  });
  const queryDuration = new client.Histogram({
    name: 'bastion_db_operation_duration_seconds',
    help: 'Duration of pool operations (a query, or a whole transaction) once admitted',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const statementTimeouts = new client.Counter({ name: 'bastion_db_statement_timeouts_total', help: 'Statements cancelled by statement_timeout', registers: [registry] });
  const poolTimeouts = new client.Counter({ name: 'bastion_db_pool_timeouts_total', help: 'Operations refused after waiting too long for a connection', registers: [registry] });
  pool.onSettled(({ kind, seconds, error }) => {
    queryDuration.observe({ kind, outcome: error ? 'error' : 'ok' }, seconds);
    if (postgresErrorOf(error)?.code === '57014') statementTimeouts.inc();
  });
  pool.onRefused(() => poolTimeouts.inc());
  return { registry, requestDuration, inFlight };
}
