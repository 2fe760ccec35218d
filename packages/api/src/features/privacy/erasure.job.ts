import type { Logger } from 'pino';
import type { Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { JobQueue, JobWorker, QueueDefinition } from '../../lib/job-queue.ts';
import { eraseDueAccounts } from './erasure.ts';

/** Hourly, so an account is erased within the hour its grace period ends (the daily retention run erases too). */
export const accountErasureQueue: QueueDefinition = {
  name: 'account-erasure',
  retryLimit: 3,
  retryDelay: 60,
  retryDelayMax: 900,
  deleteAfterSeconds: 86_400,
  schedule: '41 * * * *',
};

export function accountErasureWorker(deps: { db: Database; config: AppConfig; logger: Logger; jobs: () => JobQueue }): JobWorker<Record<string, never>> {
  return {
    queue: accountErasureQueue,
    handle: async () => {
      const result = await eraseDueAccounts({ ...deps, jobs: deps.jobs() });
      if (result.erased || result.failed) deps.logger.info({ component: 'erasure', ...result }, 'due accounts erased');
    },
  };
}
