export { createDb, type Database, type DbConfig, type DbHandle, type PoolMonitor, type Sql } from './client.ts';
export { PoolTimeoutError, type OperationSettled, type PoolStats } from './pool-gate.ts';
export { withRetries, withTransaction, type Transaction } from './transaction.ts';
export { postgresErrorOf, connectionErrorOf, poolTimeoutOf } from './errors.ts';
export { escapeLike, containsPattern } from './like.ts';
export { preparedOnce, rawRead, rawStatement } from './prepared.ts';
export { runMigrations, latestMigrationMillis, migrationsAtHead, MIGRATIONS_FOLDER } from './migrate.ts';
export * as schema from './schema/index.ts';
export { traceStatements } from './tracing.ts';
