import { createServer, type Server } from 'node:http';
import client from 'prom-client';
import { createLogger, startJobRunner, startTracing, type AppConfig } from '@bastion/api';
import { createDb } from '@bastion/db';
import { metricsAuthorization } from './metrics.ts';
import { exitOnSignal, loadConfigOrExit, tuneHeap } from './process.ts';

/**
 * `pnpm worker`: runs the background workers (email delivery) as their own process, so that API
 * instances can run with WORKERS=off. SIGTERM lets running jobs finish before it exits.
 */
async function main() {
  const config = loadConfigOrExit();
  tuneHeap(config);
  const url = config.db.url;
  if (!url) {
    console.error('DATABASE_URL: required by the worker process (it does not start an embedded database)');
    process.exit(1);
  }
  const tracing = config.tracing.endpoint ? await startTracing(config.tracing) : undefined;
  const logger = createLogger({ level: config.log.level });
  const { db, close } = createDb({ ...config.db, url });
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const jobs = await startJobRunner({ config, db, logger, url, workers: true, metrics: registry });
  const metricsServer = config.metrics.workerPort ? await serveMetrics(config, registry, config.metrics.workerPort) : undefined;
  logger.info({ metricsPort: config.metrics.workerPort }, 'worker started');
  exitOnSignal(logger, async () => {
    await jobs.stop(config.http.shutdownTimeoutMs);
    await new Promise((resolve) => (metricsServer ? metricsServer.close(resolve) : resolve(undefined)));
    await close();
    await tracing?.shutdown();
    logger.info('worker stopped');
  });
}

/** The worker's own /metrics (job runs, process metrics), behind METRICS_TOKEN like the API's. */
function serveMetrics(config: AppConfig, registry: client.Registry, port: number): Promise<Server> {
  const authorized = metricsAuthorization(config);
  const server = createServer((req, res) => {
    if (req.url !== '/metrics' || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"A valid metrics token is required."}}');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.http.host, () => resolve(server));
  });
}

main().catch((error: unknown) => {
  console.error('bastion worker failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
