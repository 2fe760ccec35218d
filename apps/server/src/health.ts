import { Router } from 'express';
import { migrationsAtHead, poolTimeoutOf, type PoolMonitor, type Sql } from '@bastion/db';

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

export interface ReadinessOptions {
  sql: Sql;
  pool: PoolMonitor;
  expectedMigration: number;
  isShuttingDown: () => boolean;
  timeoutMs?: number;
}

export interface Readiness {
  ready: boolean;
  checks: Record<'pool' | 'database' | 'migrations', 'ok' | 'failing' | 'saturated' | 'unknown'>;
}

/**
 * Readiness: the pool has room, the database answers within the timeout and has every migration
 * this build needs. With a connection queue already waiting, the answer is immediate: the check
 * must not queue behind the load it reports. /readyz and the `bastion_ready` gauge share it.
 */
export function readinessCheck(options: ReadinessOptions): () => Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? 2000;
  return async () => {
    const checks: Readiness['checks'] = { pool: 'ok', database: 'failing', migrations: 'failing' };
    if (options.pool.saturated()) Object.assign(checks, { pool: 'saturated', database: 'unknown', migrations: 'unknown' });
    else if (!options.isShuttingDown()) {
      try {
        await withTimeout(options.sql`select 1`, timeoutMs);
        checks.database = 'ok';
        if (await withTimeout(migrationsAtHead(options.sql, options.expectedMigration), timeoutMs)) checks.migrations = 'ok';
      } catch (error) {
        if (poolTimeoutOf(error)) Object.assign(checks, { pool: 'saturated', database: 'unknown', migrations: 'unknown' });
      }
    }
    return { ready: !options.isShuttingDown() && Object.values(checks).every((state) => state === 'ok'), checks };
  };
}

export function healthRoutes(options: ReadinessOptions & { readiness?: () => Promise<Readiness> }): Router {
  const routes = Router();
  const readiness = options.readiness ?? readinessCheck(options);

  // Liveness: the process answers; no I/O, so a slow database never gets the process restarted.
  routes.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  routes.get('/readyz', async (_req, res) => {
    const { ready, checks } = await readiness();
    const { size, capacity, inUse, waiting } = options.pool.stats();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks, pool: { size, capacity, inUse, waiting } });
  });
  return routes;
}
