/**
 * Short-lived, per-process memory of which sessions are active, so that every authenticated call
 * does not query the database. A revocation is evicted here at once and, through the invalidation
 * bus (session-revocation.ts), in every other process within moments; `ttlMs` bounds staleness
 * should a notification be missed.
 */
export interface ActiveSession {
  /** The user's role now, which wins over the role in an older access token. */
  role: 'user' | 'admin';
}

export class SessionCache {
  private readonly entries = new Map<string, { session: ActiveSession | null; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(options: { ttlMs: number; maxEntries?: number }) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The cached session, `null` when known to be inactive, `undefined` when not cached. */
  get(sessionId: string): ActiveSession | null | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.until < Date.now()) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.session;
  }

  set(sessionId: string, session: ActiveSession | null): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(sessionId, { session, until: Date.now() + this.ttlMs });
  }

  evict(sessionId: string): void {
    this.entries.delete(sessionId);
  }

  clear(): void {
    this.entries.clear();
  }
}
