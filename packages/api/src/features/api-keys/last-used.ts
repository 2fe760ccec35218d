import { and, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import { schema, type Database } from '@bastion/db';
import type { Logger } from 'pino';

/** A key's `last_used_at` is at most this stale (and written at most this often per key). */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** Uses seen within this delay share one UPDATE. */
const FLUSH_DELAY_MS = 1_000;

/**
 * Records when keys are used without a write per request: a use marks the key (in memory) unless
 * this process wrote it within the last minute; marked keys are written together, one UPDATE for
 * all of them, a second after the first mark. The SQL also skips rows written in the last minute,
 * so several instances together still write a key at most about once a minute. A crash loses at
 * most the last second's marks: `last_used_at` is a hint for humans, not an audit trail.
 */
export class LastUsedRecorder {
  private readonly written = new LRUCache<string, number>({ max: 100_000 });
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushes: Counter;
  private readonly deps: { db: Database; logger: Logger };

  constructor(deps: { db: Database; logger: Logger; metrics: Registry }) {
    this.deps = deps;
    this.flushes = new Counter({
      name: 'bastion_api_key_last_used_writes_total',
      help: 'UPDATE statements writing API keys\' last use (each covers every key used since the previous one)',
      registers: [deps.metrics],
    });
  }

  touch(keyId: string): void {
    const at = Date.now();
    const last = this.written.get(keyId);
    if (last !== undefined && at - last < LAST_USED_RESOLUTION_MS) return;
    this.written.set(keyId, at);
    this.pending.add(keyId);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  /** Writes what is marked now (also at shutdown). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = [...this.pending];
    this.pending = new Set();
    if (ids.length === 0) return this.flushing;
    const k = schema.apiKeys;
    this.flushing = this.flushing.then(async () => {
      try {
        this.flushes.inc();
        await this.deps.db
          .update(k)
          .set({ lastUsedAt: sql`now()` })
          .where(and(inArray(k.id, ids), or(isNull(k.lastUsedAt), lt(k.lastUsedAt, sql`now() - make_interval(secs => ${LAST_USED_RESOLUTION_MS / 1000})`))));
      } catch (error) {
        // Forget the marks so that the next use tries again.
        for (const id of ids) this.written.delete(id);
        this.deps.logger.warn({ err: error, keys: ids.length }, 'could not record API key use');
      }
    });
    return this.flushing;
  }
}
