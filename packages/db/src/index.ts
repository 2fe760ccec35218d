export { createDb, type Database, type DbConfig, type DbHandle, type Sql } from './client.ts';
export { withTransaction, type Transaction } from './transaction.ts';
export { postgresErrorOf, connectionErrorOf } from './errors.ts';
export { runMigrations, latestMigrationMillis, migrationsAtHead, MIGRATIONS_FOLDER } from './migrate.ts';
export * as schema from './schema/index.ts';
