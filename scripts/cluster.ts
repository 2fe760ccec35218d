// pnpm cluster: CLUSTER_INSTANCES (3) API instances with WORKERS=off, one `pnpm worker` and HAProxy
// in front of them on PORT (3000), over DATABASE_URL or the embedded PostgreSQL, and Redis when
// REDIS_URL is set (the instances read it themselves). Ctrl-C stops all of it.
import path from 'node:path';
import { loadConfig } from '@bastion/api';
import { runMigrations } from '@bastion/db';
import { spawnManaged, startCluster, type ManagedProcess } from './lib/cluster.ts';

const instances = Number(process.env.CLUSTER_INSTANCES ?? 3);
if (!Number.isInteger(instances) || instances < 1 || instances > 32) {
  console.error('CLUSTER_INSTANCES: a whole number from 1 to 32');
  process.exit(2);
}
const config = loadConfig(process.env);

let database: ManagedProcess | undefined;
let databaseUrl = config.db.url;
if (!databaseUrl) {
  database = await spawnManaged({
    name: 'db',
    command: process.execPath,
    args: ['--experimental-strip-types', path.join(import.meta.dirname, 'lib/embedded-db-process.ts'), config.db.embedded.dataDir, String(config.db.embedded.port ?? '')],
    env: process.env,
    ready: /^ready /m,
    detached: true,
    timeoutMs: 60_000,
  });
  databaseUrl = /^ready (\S+)/m.exec(database.output())![1]!;
  console.log(`embedded PostgreSQL on port ${new URL(databaseUrl).port}, data in ${config.db.embedded.dataDir}`);
}
// Once, before the instances start (they run with MIGRATE_ON_START=false).
await runMigrations(databaseUrl);

const cluster = await startCluster({
  databaseUrl,
  instances,
  env: process.env,
  detached: true,
  host: config.http.host,
  port: config.http.port,
  onOutput: (name, text) => {
    for (const line of text.split('\n')) if (line) process.stdout.write(`${name.padEnd(7)} ${line}\n`);
  },
}).catch(async (error: unknown) => {
  await database?.stop();
  console.error((error as Error).message);
  process.exit(1);
});

console.log(
  `\n  Bastion cluster: ${instances} instances, 1 worker${config.redis.url ? ', Redis' : ''}\n  api   ${cluster.url}/trpc (HAProxy)\n  stats ${cluster.statsUrl}\n${cluster.instances.map((i) => `  ${i.name}  ${i.url}`).join('\n')}\n`,
);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('stopping the cluster');
  await cluster.stop();
  await database?.stop();
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// Detached children outlive a parent that dies without stopping them: take them along.
process.on('exit', () => {
  for (const child of [...cluster.instances, cluster.haproxy, cluster.worker, database]) if (child?.alive()) child.child.kill('SIGKILL');
});
// A process that dies on its own takes the cluster down with it: a half cluster would mislead.
for (const process_ of [...cluster.instances, cluster.haproxy, ...(cluster.worker ? [cluster.worker] : [])]) {
  void process_.exited.then(() => {
    if (!stopping) {
      console.error(`${process_.name} exited; stopping the cluster`);
      void stop(1);
    }
  });
}
