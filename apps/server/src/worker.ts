import { ConfigError, createLogger, loadConfig, startJobRunner } from '@bastion/api';
import { createDb } from '@bastion/db';

/**
 * `pnpm worker`: runs the background workers (email delivery) as their own process, so that API
 * instances can run with WORKERS=off. SIGTERM lets running jobs finish before it exits.
 */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const url = config.db.url;
  if (!url) {
    console.error('DATABASE_URL: required by the worker process (it does not start an embedded database)');
    process.exit(1);
  }
  const logger = createLogger({ level: config.log.level });
  const { db, close } = createDb({ ...config.db, url });
  const jobs = await startJobRunner({ config, db, logger, url, workers: true });
  logger.info('worker started');
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'worker stopping: draining jobs');
    jobs
      .stop(config.http.shutdownTimeoutMs)
      .then(() => close())
      .then(
        () => {
          logger.info('worker stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'worker shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('bastion worker failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
