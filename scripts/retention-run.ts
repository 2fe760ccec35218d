// `pnpm retention:run`: applies the retention table now (the same job as the daily schedule),
// erasures whose grace period is over included, and prints what it removed. Idempotent.
import { createLogger, loadConfig, runRetention, startJobRunner } from '@bastion/api';
import { createDb, runMigrations } from '@bastion/db';
import { withDatabase } from './lib/database.ts';

const config = loadConfig();
await withDatabase(config, async (url) => {
  if (config.db.migrateOnStart) await runMigrations(url);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const { db, close } = createDb({ ...config.db, url });
  // Only the queues (no workers): the erasure's confirmation mails are sent by the running workers.
  const jobs = await startJobRunner({ config, db, logger, url, workers: false });
  try {
    const report = await runRetention({ db, config, logger, jobs: jobs.queue });
    for (const [dataClass, count] of Object.entries(report.removed)) console.log(`${dataClass}: ${count} removed`);
    for (const dataClass of report.kept) console.log(`${dataClass}: kept (no age limit)`);
    console.log(`accounts erased: ${report.erasures.erased}${report.erasures.failed ? ` (failed: ${report.erasures.failed})` : ''}`);
    if (report.erasures.failed) process.exitCode = 1;
  } finally {
    await jobs.stop(5000);
    await close();
  }
});
