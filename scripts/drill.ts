// pnpm drill <name|all>: the fault drills, each against real processes (CI runs all of them).
//   db-outage        PostgreSQL stops under load and comes back
//   pool-exhaustion  a burst far beyond the pool
//   jwt-rotation     add, promote and retire a JWT signing key
//   encryption-rotation  a new ENCRYPTION_KEYS key, `pnpm keys:rotate` under load, the old key retired
//   redis-outage     Redis (rate limits, invalidation) stops under load and comes back
//   worker-kill      SIGKILL the worker mid-email and mid-webhook: retried, once in effect
//   cluster          three instances behind HAProxy: one budget, invalidation, SIGTERM/SIGKILL
import { clusterDrill } from './drills/cluster.ts';
import { dbOutage } from './drills/db-outage.ts';
import { encryptionRotation } from './drills/encryption-rotation.ts';
import { DrillFailed } from './drills/harness.ts';
import { jwtRotation } from './drills/jwt-rotation.ts';
import { redisOutage } from './drills/redis-outage.ts';
import { workerKill } from './drills/worker-kill.ts';
import { poolExhaustion } from './drills/pool-exhaustion.ts';

const DRILLS: Record<string, () => Promise<void>> = {
  'db-outage': dbOutage,
  'pool-exhaustion': poolExhaustion,
  'jwt-rotation': jwtRotation,
  'encryption-rotation': encryptionRotation,
  'redis-outage': redisOutage,
  'worker-kill': workerKill,
  cluster: clusterDrill,
};

const name = process.argv[2];
const chosen = name === 'all' ? Object.keys(DRILLS) : name && DRILLS[name] ? [name] : undefined;
if (!chosen) {
  console.error(`usage: pnpm drill <${[...Object.keys(DRILLS), 'all'].join('|')}>`);
  process.exit(2);
}
let failed = false;
for (const drill of chosen) {
  console.log(`drill ${drill}`);
  const started = Date.now();
  try {
    await DRILLS[drill]!();
    console.log(`drill ${drill}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed = true;
    console.error(`drill ${drill}: FAILED — ${error instanceof DrillFailed ? error.message : (error as Error).stack}`);
  }
}
process.exit(failed ? 1 : 0);
