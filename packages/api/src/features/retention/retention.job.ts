import type { Logger } from 'pino';
import { withTransaction, type Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { RetentionDataClass } from '../../config/retention-policies.ts';
import type { JobQueue, JobWorker, QueueDefinition } from '../../lib/job-queue.ts';
import { recordAudit, systemActor } from '../audit/audit.service.ts';
import { eraseDueAccounts, type ErasureDeps } from '../privacy/erasure.ts';
import { PRUNERS } from './pruners.ts';

export const retentionQueue: QueueDefinition = {
  name: 'retention',
  retryLimit: 3,
  retryDelay: 300,
  retryDelayMax: 3600,
  deleteAfterSeconds: 7 * 86_400,
  // Daily at 03:17 UTC (off the hour, away from other crons).
  schedule: '17 3 * * *',
};

export interface RetentionReport {
  removed: Partial<Record<RetentionDataClass, number>>;
  /** Data classes kept without an age limit (policy `off`). */
  kept: RetentionDataClass[];
  erasures: { erased: number; failed: number };
}

/**
 * Applies the retention table once: each data class's pruner with its configured age, then the
 * erasures whose grace period is over. Idempotent (a second run removes nothing new), logged, and
 * audited as `system` with the counts. `pnpm retention:run` runs the same function now.
 */
export async function runRetention(deps: ErasureDeps): Promise<RetentionReport> {
  const log = deps.logger.child({ component: 'retention' });
  const report: RetentionReport = { removed: {}, kept: [], erasures: { erased: 0, failed: 0 } };
  for (const [dataClass, seconds] of Object.entries(deps.config.compliance.retention) as [RetentionDataClass, number | null][]) {
    if (seconds === null) {
      report.kept.push(dataClass);
      continue;
    }
    report.removed[dataClass] = await PRUNERS[dataClass](deps, seconds);
  }
  report.erasures = await eraseDueAccounts(deps);
  await withTransaction(deps.db, (tx) => recordAudit(tx, { config: deps.config }, { actor: systemActor('retention'), action: 'retention.ran', detail: { ...report } }));
  log.info(report, 'retention applied');
  return report;
}

export function retentionWorker(deps: { db: Database; config: AppConfig; logger: Logger; jobs: () => JobQueue }): JobWorker<Record<string, never>> {
  return { queue: retentionQueue, handle: async () => void (await runRetention({ ...deps, jobs: deps.jobs() })) };
}
