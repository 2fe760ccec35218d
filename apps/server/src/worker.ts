import { createLogger, startJobRunner } from '@bastion/api';
import { createDb } from '@bastion/db';
import { exitOnSignal, loadConfigOrExit } from './process.ts';

/**
 * `pnpm worker`: runs the background workers (email delivery) as their own process, so that API
 * instances can run with WORKERS=off. SIGTERM lets running jobs finish before it exits.
 */
async function main() {
  const config = loadConfigOrExit();
  const url = config.db.url;
  if (!url) {
    console.error('DATABASE_URL: required by the worker process (it does not start an embedded database)');
    process.exit(1);
  }
  const logger = createLogger({ level: config.log.level });
  const { db, close } = createDb({ ...config.db, url });
  const jobs = await startJobRunner({ config, db, logger, url, workers: true });
  logger.info('worker started');
  exitOnSignal(logger, async () => {
    await jobs.stop(config.http.shutdownTimeoutMs);
    await close();
    logger.info('worker stopped');
  });
}

main().catch((error: unknown) => {
  console.error('bastion worker failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
