import type { Database } from '@bastion/db';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { AppConfig } from './config/index.ts';
import { linkMailResolver } from './features/auth/emailed-links.ts';
import { outboxMailer, smtpMailer } from './features/mail/mailer.ts';
import { sendMailQueue, sendMailWorker } from './features/mail/send-mail.job.ts';
import { pruneCountersQueue, pruneCountersWorker } from './features/maintenance/prune-counters.job.ts';
import { startJobs, type JobQueue, type RunningJobs } from './lib/job-queue.ts';
import { accountErasureQueue, accountErasureWorker } from './features/privacy/erasure.job.ts';
import { dataExportQueue, dataExportWorker } from './features/privacy/exports.service.ts';
import { retentionQueue, retentionWorker } from './features/retention/retention.job.ts';

/** Every queue of the application, with the configured retry delay. */
const queuesOf = (config: AppConfig) => [{ ...sendMailQueue, retryDelay: config.jobs.retryDelaySeconds }, pruneCountersQueue, dataExportQueue, retentionQueue, accountErasureQueue];

/**
 * Starts the job queue for a process: always the queues (to send jobs), and the workers when
 * `workers` (the API process unless WORKERS=off; always in `pnpm worker`).
 */
export async function startJobRunner(options: {
  config: AppConfig;
  db: Database;
  logger: Logger;
  url: string;
  workers: boolean;
  /** Where the workers count what they record (security events); the worker process has its own. */
  metrics?: Registry;
}): Promise<RunningJobs> {
  const { config } = options;
  if (!options.workers) return startJobs({ url: options.url, logger: options.logger, queues: queuesOf(config) });
  const mailer = config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl, config.mail.from) : outboxMailer(options.db);
  const resolveLinks = linkMailResolver({ db: options.db, config, logger: options.logger, metrics: options.metrics ?? new Registry() });
  // Workers that queue jobs of their own (the erasure's confirmation mail) reach the queue once it runs.
  const started: { queue?: JobQueue } = {};
  const jobs = () => {
    if (!started.queue) throw new Error('job queue not started');
    return started.queue;
  };
  const deps = { db: options.db, config, logger: options.logger, jobs };
  const running = await startJobs({
    url: options.url,
    logger: options.logger,
    queues: queuesOf(config),
    workers: [
      sendMailWorker(mailer, resolveLinks),
      pruneCountersWorker(options.db, config.compliance.retention.auth_throttle),
      dataExportWorker(deps, mailer),
      retentionWorker(deps),
      accountErasureWorker(deps),
    ],
    metrics: options.metrics,
  });
  started.queue = running.queue;
  return {
    queue: running.queue,
    stop: async (timeoutMs) => {
      await running.stop(timeoutMs);
      mailer.close();
    },
  };
}
