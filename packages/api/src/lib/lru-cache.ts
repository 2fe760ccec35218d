/**
 * An in-process LRU cache with a time-to-live and read-through loading. Concurrent misses for one
 * key share one load. `invalidate` also discards a load already in flight, so a read that started
 * before a write can never store the value the write replaced.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private readonly loading = new Map<string, { promise: Promise<V>; generation: number }>();
  private readonly generations = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly onLookup: (hit: boolean) => void;

  constructor(options: { ttlMs: number; maxEntries: number; onLookup?: (hit: boolean) => void }) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries;
    this.onLookup = options.onLookup ?? (() => {});
  }

  get size(): number {
    return this.entries.size;
  }

  async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && entry.until > Date.now()) {
      // Re-inserting moves the key to the most recently used end of the Map's order.
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.onLookup(true);
      return entry.value;
    }
    this.onLookup(false);
    if (entry) this.entries.delete(key);
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight.promise;
    const generation = this.generations.get(key) ?? 0;
    const promise = load().finally(() => {
      if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
    });
    this.loading.set(key, { promise, generation });
    const value = await promise;
    if ((this.generations.get(key) ?? 0) === generation) this.store(key, value);
    return value;
  }

  invalidate(key: string): void {
    this.entries.delete(key);
    this.loading.delete(key);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    // Generations only need to outlive loads in flight; keep the map bounded.
    if (this.generations.size > this.maxEntries) this.generations.delete(this.generations.keys().next().value!);
  }

  clear(): void {
    for (const key of [...this.entries.keys(), ...this.loading.keys()]) this.invalidate(key);
  }

  private store(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: Date.now() + this.ttlMs });
  }
}
