// A separate process writing audit entries (audit-log.test.ts starts two at once): prints `ready`,
// waits for `go` on stdin, writes `AUDIT_WRITES` entries concurrently, prints `done`.
import { loadConfig, recordAuditNow, systemActor } from '@bastion/api';
import { createDb } from '@bastion/db';

const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: process.env.DATABASE_URL, DB_POOL_MAX: '8', DB_POOL_ACQUIRE_TIMEOUT_MS: '60000' });
const { db, close } = createDb({ ...config.db, url: config.db.url! });
const writes = Number(process.env.AUDIT_WRITES ?? 500);
const name = process.env.WRITER_NAME ?? 'writer';

process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
await Promise.all(
  Array.from({ length: writes }, (_, i) => recordAuditNow(db, { config }, { actor: systemActor(name), action: 'retention.ran', detail: { i, name } })),
);
await close();
process.stdout.write('done\n');
