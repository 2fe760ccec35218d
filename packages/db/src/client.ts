import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export interface DbConfig {
  url: string;
  poolMax: number;
  idleTimeoutSeconds: number;
  maxLifetimeSeconds: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
}

export type Database = ReturnType<typeof drizzle<typeof schema>>;
export type Sql = postgres.Sql;

export interface DbHandle {
  db: Database;
  sql: Sql;
  /** Unique per pool, so the pool's connections can be counted in pg_stat_activity. */
  applicationName: string;
  close(timeoutSeconds?: number): Promise<void>;
}

export function createDb(config: DbConfig): DbHandle {
  const applicationName = `bastion:${process.pid}:${randomBytes(3).toString('hex')}`;
  const sql = postgres(config.url, {
    max: config.poolMax,
    idle_timeout: config.idleTimeoutSeconds,
    max_lifetime: config.maxLifetimeSeconds,
    connect_timeout: config.connectTimeoutSeconds,
    onnotice: () => {},
    connection: {
      application_name: applicationName,
      statement_timeout: config.statementTimeoutMs,
      TimeZone: 'UTC',
    },
  });
  const db = drizzle(sql, { schema });
  return {
    db,
    sql,
    applicationName,
    close: (timeoutSeconds = 5) => sql.end({ timeout: timeoutSeconds }),
  };
}
