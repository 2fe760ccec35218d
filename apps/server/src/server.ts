import type { Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DestinationStream } from 'pino';
import { Counter, Registry } from 'prom-client';
import { ApiKeyStore, bufferedStdout, createAssistantDeps, createLogger, createPostgresBus, createRateLimiters, createRedisBus, listenForRevokedSessions, PreferencesStore, securityEventsCounter, SessionCache, startJobRunner, startTracing, type AppConfig, type AppDeps } from '@bastion/api';
import { createDb, latestMigrationMillis, runMigrations } from '@bastion/db';
import { createApp } from './app.ts';
import { createMetrics } from './metrics.ts';

const DEFAULT_WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export interface StartOptions {
  config: AppConfig;
  /** Where logs go (tests capture them); stdout by default. */
  logDestination?: DestinationStream;
  /** Replaces the configured rate limiters: the load benchmark's limiter-free comparator (S5) only. */
  rateLimiters?: AppDeps['rateLimiters'];
}

export interface RunningServer {
  url: string;
  port: number;
  deps: AppDeps;
  /** Graceful: stop accepting, drain in-flight requests, close the pool, stop the embedded database. */
  close(): Promise<void>;
}

export async function startServer({ config, logDestination, rateLimiters }: StartOptions): Promise<RunningServer> {
  // Before the logger and the pools: they look once, at creation, whether to carry trace ids.
  const tracing = config.tracing.endpoint ? await startTracing(config.tracing) : undefined;
  // Asynchronous, buffered stdout: log lines are coalesced into few writes instead of one blocking
  // write each; pino flushes what is left when the process exits.
  const logger = createLogger({ level: config.log.level, destination: logDestination ?? bufferedStdout() });
  let stopEmbedded: (() => Promise<void>) | undefined;
  let url = config.db.url;
  if (!url) {
    const { startEmbeddedPostgres } = await import('@bastion/db/embedded');
    const embedded = await startEmbeddedPostgres({
      dataDir: config.db.embedded.dataDir,
      port: config.db.embedded.port,
      onLog: (line) => logger.debug({ component: 'embedded-postgres' }, line),
    });
    logger.info({ port: embedded.port, dataDir: embedded.dataDir }, 'embedded PostgreSQL started');
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }

  try {
    if (config.db.migrateOnStart) await runMigrations(url);
  } catch (error) {
    await stopEmbedded?.();
    throw error;
  }

  const { db, sql, pool, applicationName, close: closeMainPool } = createDb({ ...config.db, url });
  // Rate-limit counters get a small pool of their own: counting never waits behind queries, and
  // an unlogged counter write need not wait for a WAL flush either (ADR 020).
  const counters =
    config.rateLimit.store === 'postgres' && !rateLimiters
      ? createDb({ ...config.db, url, poolMax: config.rateLimit.poolMax, sessionSettings: { synchronous_commit: 'off' } })
      : undefined;
  const closePool = async () => {
    await Promise.all([closeMainPool(), counters?.close()]);
  };
  const registry = new Registry();
  securityEventsCounter(registry);
  let jobs;
  try {
    jobs = await startJobRunner({ config, db, logger, url, workers: config.jobs.workers, metrics: registry });
  } catch (error) {
    await closePool();
    await stopEmbedded?.();
    throw error;
  }
  const cacheLookups = new Counter({
    name: 'bastion_cache_lookups_total',
    help: 'In-process cache lookups by cache and result',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
  });
  const preferences = new PreferencesStore({
    ...config.preferencesCache,
    onLookup: (hit) => cacheLookups.inc({ cache: 'preferences', result: hit ? 'hit' : 'miss' }),
  });
  const deps: AppDeps = {
    config,
    db,
    sql,
    logger,
    sessionCache: new SessionCache({ ttlMs: 5_000 }),
    apiKeys: new ApiKeyStore({ db, logger, metrics: registry }),
    bus: config.redis.url ? createRedisBus(config.redis.url, logger) : createPostgresBus(sql, logger),
    metrics: registry,
    rateLimiters: rateLimiters ?? createRateLimiters({ config: config.rateLimit, sql: counters?.sql, logger, metrics: registry }),
    assistant: createAssistantDeps({ config: config.assistant, registry, logger }),
    jobs: jobs.queue,
    preferences,
  };
  await deps.rateLimiters.ready();
  await listenForRevokedSessions(deps);
  await deps.apiKeys.listen(deps.bus);
  await preferences.listen(deps.bus);
  const metrics = createMetrics({ registry, sql, applicationName, poolMax: config.db.poolMax, pool });
  await metrics.sample();
  let shuttingDown = false;
  const app = createApp({
    deps,
    metrics,
    expectedMigration: latestMigrationMillis(),
    isShuttingDown: () => shuttingDown,
    pool,
    webDistDir: config.http.webDistDir ?? DEFAULT_WEB_DIST,
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.http.port, config.http.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  logger.info({ url: `http://${host}:${port}` }, 'server listening');
  if (config.mail.devMailboxKey && !config.mail.smtpUrl) {
    logger.info({ url: `${config.http.appOrigin}/dev/mailbox?key=${config.mail.devMailboxKey}` }, 'development mailbox (the key changes with each process unless DEV_MAILBOX_KEY is set)');
  }
  // Supervisors and scripts wait for this line: out at once, not with the next buffered batch.
  logger.flush();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      shuttingDown = true;
      // Behind a balancer: keep serving while its checks see /readyz fail and it stops sending
      // requests here; closing the listener at once would race requests already on their way.
      if (config.http.shutdownDelayMs > 0) {
        logger.info({ delayMs: config.http.shutdownDelayMs }, 'shutting down: not ready, still serving');
        await new Promise((resolve) => setTimeout(resolve, config.http.shutdownDelayMs));
      }
      logger.info('shutting down: draining requests');
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections go idle as their last response ends: close each as soon as it does.
      const reaper = setInterval(() => server.closeIdleConnections(), 50);
      server.closeIdleConnections();
      void drained.finally(() => clearInterval(reaper));
      const timedOut = await Promise.race([
        drained.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.http.shutdownTimeoutMs).unref()),
      ]);
      if (timedOut) {
        logger.warn('drain timeout reached: closing remaining connections');
        server.closeAllConnections();
      }
      // Running jobs finish (or are handed back to the queue) before the pool closes.
      await jobs.stop(config.http.shutdownTimeoutMs);
      // The last second's key uses are written before the pool closes.
      await deps.apiKeys.close();
      await deps.bus.close();
      await deps.rateLimiters.close();
      metrics.stop();
      await closePool();
      await stopEmbedded?.();
      await tracing?.flush();
      logger.info('shutdown complete');
    })());

  return { url: `http://${host}:${port}`, port, deps, close };
}
