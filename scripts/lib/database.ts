import type { AppConfig } from '@bastion/api';

/** The configured database, or the embedded one (started for the duration of `fn`). */
export async function withDatabase<T>(config: AppConfig, fn: (url: string) => Promise<T>): Promise<T> {
  if (config.db.url) return fn(config.db.url);
  const { startEmbeddedPostgres } = await import('@bastion/db/embedded');
  const embedded = await startEmbeddedPostgres({ dataDir: config.db.embedded.dataDir, port: config.db.embedded.port });
  try {
    return await fn(embedded.url);
  } finally {
    await embedded.stop();
  }
}
