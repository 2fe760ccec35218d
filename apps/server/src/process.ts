import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfig, type AppConfig } from '@bastion/api';
import type { Logger } from 'pino';

/**
 * V8 sizes the old generation at up to 4× its live size after each full collection when the
 * machine has memory to spare: under load a server with ~65 MB live held 300+ MB of heap. A fixed
 * factor keeps the heap near its live size for a few more (incremental) full collections
 * (ADR 053). The flag is read at every collection, so setting it at start takes effect at once.
 * The process entries call it (main.ts, worker.ts); `startServer` inside another program does not.
 */
export function tuneHeap(config: Pick<AppConfig, 'runtime'>): void {
  if (config.runtime.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.runtime.heapGrowingPercent}`);
}

/** The configuration, or exit 1 naming every bad variable. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** SIGTERM/SIGINT run `stop` once, then exit 0 (or 1 if stopping failed). */
export function exitOnSignal(logger: Logger, stop: () => Promise<void>): void {
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'signal received');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
