import { createDb, type Database } from '@bastion/db';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { AppConfig } from './config/index.ts';
import { linkMailResolver } from './features/auth/emailed-links.ts';
import { outboxMailer, smtpMailer } from './features/mail/mailer.ts';
import { sendMailQueue, sendMailWorker } from './features/mail/send-mail.job.ts';
import { pruneCountersQueue, pruneCountersWorker } from './features/maintenance/prune-counters.job.ts';
import { accountErasureQueue, accountErasureWorker } from './features/privacy/erasure.job.ts';
import { dataExportQueue, dataExportWorker } from './features/privacy/exports.service.ts';
import { retentionQueue, retentionWorker } from './features/retention/retention.job.ts';
import { deliverWebhookQueue, deliverWebhookWorker } from './features/webhooks/deliver.ts';
import { startDispatcher } from './features/webhooks/dispatcher.ts';
import { webhookMetrics } from './features/webhooks/metrics.ts';
import { pruneWebhooksQueue, pruneWebhooksWorker } from './features/webhooks/prune.job.ts';
import { createWebhookSender } from './features/webhooks/sender.ts';
import { providerRefreshQueue, providerRefreshScanQueue, providerRefreshWorkers } from './features/oidc/refresh.ts';
import { startJobs, type JobQueue, type RunningJobs } from './lib/job-queue.ts';

/** Connections of the webhook workers' own pool, per process. */
const WEBHOOK_POOL_MAX = 4;

/** Every queue of the application, with the configured retry delay. */
const queuesOf = (config: AppConfig) => [
  { ...sendMailQueue, retryDelay: config.jobs.retryDelaySeconds },
  pruneCountersQueue,
  dataExportQueue,
  retentionQueue,
  accountErasureQueue,
  deliverWebhookQueue,
  pruneWebhooksQueue,
  providerRefreshScanQueue(config),
  { ...providerRefreshQueue, retryDelay: config.jobs.retryDelaySeconds },
];

/**
 * Starts the job queue for a process: always the queues (to send jobs), and the workers when
 * `workers` (the API process unless WORKERS=off; always in `pnpm worker`). The workers' process
 * also runs the webhook dispatcher (outbox → deliveries).
 */
export async function startJobRunner(options: {
  config: AppConfig;
  db: Database;
  logger: Logger;
  url: string;
  workers: boolean;
  /** Where the workers count what they record (security events, webhooks); the worker process has its own. */
  metrics?: Registry;
}): Promise<RunningJobs> {
  const { config } = options;
  const superviseIntervalSeconds = config.jobs.superviseIntervalSeconds;
  // Registered up front, so /metrics shows the series at zero before the first delivery.
  if (options.metrics) webhookMetrics(options.metrics);
  if (!options.workers) return startJobs({ url: options.url, logger: options.logger, queues: queuesOf(config), superviseIntervalSeconds });
  const metrics = options.metrics ?? new Registry();
  const mailer = config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl, config.mail.from) : outboxMailer(options.db);
  const resolveLinks = linkMailResolver({ db: options.db, config, logger: options.logger, metrics });
  // Workers that queue jobs themselves (the next attempt, an email, the erasure's confirmation) get
  // the queue once it exists.
  const started: { queue?: JobQueue } = {};
  let resolveQueue: (queue: JobQueue) => void = () => {};
  const queueReady = new Promise<JobQueue>((resolve) => (resolveQueue = resolve));
  const lateQueue: JobQueue = { send: async (...args) => (await queueReady).send(...args) };
  const jobs = () => {
    if (!started.queue) throw new Error('job queue not started');
    return started.queue;
  };
  const deps = { db: options.db, config, logger: options.logger, jobs };
  const sender = createWebhookSender(config.webhooks);
  // Webhook work (dispatching, recording attempts, pruning) gets a small pool of its own: a burst of
  // deliveries never takes connections from API requests, and their queries stay out of its metrics.
  const webhookPool = createDb({ ...config.db, url: options.url, poolMax: WEBHOOK_POOL_MAX });
  const webhookDb = webhookPool.db;
  const running = await startJobs({
    url: options.url,
    logger: options.logger,
    queues: queuesOf(config),
    superviseIntervalSeconds,
    workers: [
      sendMailWorker(mailer, resolveLinks),
      pruneCountersWorker(options.db, config.compliance.retention.auth_throttle),
      dataExportWorker(deps, mailer),
      retentionWorker(deps),
      accountErasureWorker(deps),
      deliverWebhookWorker({ db: webhookDb, config, logger: options.logger.child({ component: 'webhooks' }), metrics, jobs: lateQueue, sender }),
      pruneWebhooksWorker(webhookDb, config.webhooks.retentionDays),
      ...providerRefreshWorkers({ db: options.db, config, logger: options.logger.child({ component: 'provider-refresh' }), metrics, jobs, retryDelaySeconds: config.jobs.retryDelaySeconds }),
    ],
    metrics,
  });
  started.queue = running.queue;
  resolveQueue(running.queue);
  const dispatcher = startDispatcher({ db: webhookDb, jobs: running.queue, metrics, logger: options.logger, intervalMs: config.webhooks.dispatchIntervalMs });
  return {
    queue: running.queue,
    stop: async (timeoutMs) => {
      await dispatcher.stop();
      await running.stop(timeoutMs);
      await sender.close();
      await webhookPool.close();
      mailer.close();
    },
  };
}
