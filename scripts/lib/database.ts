import type { AppConfig } from '@bastion/api';

/**
 * The configured database, or the embedded one: the one already running on the data directory
 * (`pnpm dev` holds it; a second postmaster cannot start there), else one started for `fn`.
 */
export async function withDatabase<T>(config: AppConfig, fn: (url: string) => Promise<T>): Promise<T> {
  if (config.db.url) return fn(config.db.url);
  const { runningEmbeddedPostgres, startEmbeddedPostgres } = await import('@bastion/db/embedded');
  const running = runningEmbeddedPostgres({ dataDir: config.db.embedded.dataDir });
  if (running) {
    console.log(`using the embedded PostgreSQL already running on port ${running.port}`);
    return fn(running.url);
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.db.embedded.dataDir, port: config.db.embedded.port });
  try {
    return await fn(embedded.url);
  } finally {
    await embedded.stop();
  }
}
