import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import client from 'prom-client';
import { passwordComputations, passwordHashingStats, type AppConfig } from '@bastion/api';
import { postgresErrorOf, type PoolMonitor, type Sql } from '@bastion/db';
import { requestIdOf } from './request-id.ts';

export interface Metrics {
  registry: client.Registry;
  requestDuration: client.Histogram<'procedure' | 'type' | 'code'>;
  inFlight: client.Gauge;
  /**
   * `bastion_ready` (1/0): the last readiness answer, from /readyz (the balancer's probes) or from
   * the sampler (every 15 s). Returns the check that records its answers; a scrape runs no query.
   */
  observeReadiness<T extends { ready: boolean }>(check: () => Promise<T>): () => Promise<T>;
  /** Takes one pool sample now (the server awaits the first before listening). */
  sample(): Promise<void>;
  /** Stops the periodic pool sampler (at shutdown, before the pool closes). */
  stop(): void;
}

/** How often pg_stat_activity is read: a scrape serves the last sample, whatever the scrape rate. */
export const POOL_SAMPLE_INTERVAL_MS = 15_000;

/**
 * postgres.js keeps no pool statistics. Open connections are counted where they are visible
 * (pg_stat_activity, filtered by this pool's unique application_name), by a periodic sampler so
 * that scrapes cost no query; connections in use and operations waiting for one come from the pool
 * gate in front of postgres.js.
 */
export function createMetrics(options: {
  registry: client.Registry;
  sql: Sql;
  applicationName: string;
  poolMax: number;
  pool: PoolMonitor;
  sampleIntervalMs?: number;
}): Metrics {
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
  let readiness: (() => Promise<unknown>) | undefined;
  const ready = new client.Gauge({
    name: 'bastion_ready',
    help: 'Whether this instance is ready for traffic (the last /readyz answer: 1 = 200, 0 = 503)',
    registers: [registry],
  });
  new client.Gauge({ name: 'bastion_db_pool_max', help: 'Configured pool size', registers: [registry] }).set(options.poolMax);
  new client.Gauge({
    name: 'bastion_password_hashes',
    help: 'argon2 computations running and waiting for a slot (the gate keeps a core for the event loop)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const { running, waiting } = passwordHashingStats();
      this.set({ state: 'running' }, running);
      this.set({ state: 'waiting' }, waiting);
    },
  });
  new client.Counter({
    name: 'bastion_password_computations_total',
    help: 'argon2 computations finished, by operation (hash, verify)',
    labelNames: ['operation'] as const,
    registers: [registry],
    collect() {
      const done = passwordComputations();
      this.reset();
      this.inc({ operation: 'hash' }, done.hash);
      this.inc({ operation: 'verify' }, done.verify);
    },
  });
  let lastSample: { total: number; active: number } | undefined;
  let sampling: Promise<void> | undefined;
  const sample = () =>
    (sampling ??= (async () => {
      // A saturated pool keeps the last sample: the sampler must not queue behind the load it reports.
      if (options.pool.saturated()) return;
      try {
        const rows = await options.sql<{ total: number; active: number }[]>`
          select count(*)::int as total, count(*) filter (where state <> 'idle')::int as active
          from pg_stat_activity where application_name = ${options.applicationName}`;
        // The sample's own query holds one connection; it is not application load.
        lastSample = { total: rows[0]?.total ?? 0, active: Math.max(0, (rows[0]?.active ?? 0) - 1) };
      } catch {
        lastSample = undefined;
      }
      await readiness?.().catch(() => ready.set(0));
    })().finally(() => (sampling = undefined)));
  const sampler = setInterval(() => void sample(), options.sampleIntervalMs ?? POOL_SAMPLE_INTERVAL_MS);
  sampler.unref();
  new client.Gauge({
    name: 'bastion_db_pool_connections',
    help: `Open pool connections by state (active = in use), sampled every ${(options.sampleIntervalMs ?? POOL_SAMPLE_INTERVAL_MS) / 1000} s`,
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!lastSample) return this.reset();
      const { total, active } = lastSample;
      this.set({ state: 'total' }, total);
      this.set({ state: 'active' }, active);
      this.set({ state: 'idle' }, total - active);
    },
  });
  const { pool } = options;
  new client.Gauge({
    name: 'bastion_db_pool_in_use',
    help: 'Queries or transactions in flight on the pool (more than its connections only while statements are pipelined)',
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
  return {
    registry,
    requestDuration,
    inFlight,
    observeReadiness: (check) => {
      const recorded = async () => {
        const answer = await check();
        ready.set(answer.ready ? 1 : 0);
        return answer;
      };
      readiness = recorded;
      return recorded;
    },
    sample,
    stop: () => clearInterval(sampler),
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics. With METRICS_TOKEN (required in production, ADR 040) only `Authorization: Bearer
 * <token>` is served; the comparison is of equal-length digests in constant time, so neither the
 * token's length nor its prefix can be learnt from response times.
 */
/** Whether an Authorization header carries METRICS_TOKEN (any header passes when none is set). */
export function metricsAuthorization(config: AppConfig): (authorization: string | undefined) => boolean {
  const expected = config.metrics.token === undefined ? undefined : digest(`Bearer ${config.metrics.token}`);
  return (authorization) => !expected || timingSafeEqual(digest(authorization ?? ''), expected);
}

export function metricsHandler(config: AppConfig, metrics: Metrics): RequestHandler {
  const authorized = metricsAuthorization(config);
  return async (req, res) => {
    if (!authorized(req.get('authorization'))) {
      res.status(401).json({ error: { message: 'A valid metrics token is required.', data: { reason: 'unauthenticated', httpStatus: 401, requestId: requestIdOf(req) } } });
      return;
    }
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  };
}
