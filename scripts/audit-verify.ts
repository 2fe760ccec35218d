// `pnpm audit:verify`: walks the audit log's hash chain from the newest signed checkpoint and
// prints `ok <rows>`, or the first broken link (exit code 1). Read-only; safe while the API serves.
import { loadConfig, verifyAuditChain } from '@bastion/api';
import { createDb } from '@bastion/db';
import { withDatabase } from './lib/database.ts';

const config = loadConfig();
const report = await withDatabase(config, async (url) => {
  const { db, close } = createDb({ ...config.db, url });
  try {
    return await verifyAuditChain(db, config.audit.checkpointKey);
  } finally {
    await close();
  }
});
if (report.ok) {
  console.log(`ok ${report.rows}`);
} else {
  console.log(`broken at entry ${report.seq}: ${report.problem} (${report.rows} entries verified before it)`);
  process.exitCode = 1;
}
