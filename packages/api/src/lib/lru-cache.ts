import { LRUCache } from 'lru-cache';

/**
 * An in-process LRU cache with a time-to-live and read-through loading. Concurrent misses for one
 * key share one load. `invalidate` also discards a load already in flight, so a read that started
 * before a write can never store the value the write replaced.
 *
 * Storage, recency, TTL and the entry bound are lru-cache's. Loads are coordinated here rather than
 * with its `fetch()`: deleting a key aborts a fetch in flight and rejects its callers, whereas a
 * read that raced a write should still answer (with what it read) and only not be stored.
 */
export class LruCache<V extends NonNullable<unknown>> {
  private readonly entries: LRUCache<string, V> | null;
  /** The one load in flight per key; only the load still registered here may store its value. */
  private readonly loading = new Map<string, Promise<V>>();
  private readonly onLookup: (hit: boolean) => void;

  constructor(options: { ttlMs: number; maxEntries: number; onLookup?: (hit: boolean) => void }) {
    // ttlMs <= 0 turns caching off (loads are still shared); lru-cache would read 0 as "no TTL".
    this.entries = options.ttlMs > 0 ? new LRUCache({ max: options.maxEntries, ttl: options.ttlMs }) : null;
    this.onLookup = options.onLookup ?? (() => {});
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.entries?.get(key);
    this.onLookup(cached !== undefined);
    if (cached !== undefined) return cached;
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const promise = load();
    this.loading.set(key, promise);
    try {
      const value = await promise;
      if (this.loading.get(key) === promise) this.entries?.set(key, value);
      return value;
    } finally {
      if (this.loading.get(key) === promise) this.loading.delete(key);
    }
  }

  invalidate(key: string): void {
    this.entries?.delete(key);
    this.loading.delete(key);
  }

  clear(): void {
    this.entries?.clear();
    this.loading.clear();
  }
}
