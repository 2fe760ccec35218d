import type { Role } from './permissions.ts';
import { LRUCache } from 'lru-cache';

/**
 * Short-lived, per-process memory of which sessions are active, so that every authenticated call
 * does not query the database. A revocation is evicted here at once and, through the invalidation
 * bus (session-revocation.ts), in every other process within moments; `ttlMs` bounds staleness
 * should a notification be missed.
 */
export interface ActiveSession {
  /** The user's role now, which wins over the role in an older access token. */
  role: Role;
}

/** Stands for "known inactive": lru-cache cannot hold null, and a symbol cannot pass for a session. */
const INACTIVE = Symbol('inactive session');

/**
 * Passed to every `get` so that a hit allocates nothing: lru-cache's `get(key)` would default its
 * options to a fresh object. It writes `status` onto it (undefined unless a diagnostics channel
 * subscriber asked for one), so it cannot be frozen.
 */
const GET_OPTIONS: LRUCache.GetOptions<string, ActiveSession | typeof INACTIVE, unknown> = { status: undefined };

export class SessionCache {
  // Per-entry TTL checked on read, no refresh on read (staleness stays bounded by ttlMs), no
  // stale reads, no timers: only what the guarantee needs.
  private readonly entries: LRUCache<string, ActiveSession | typeof INACTIVE>;

  constructor(options: { ttlMs: number; maxEntries?: number }) {
    this.entries = new LRUCache({ max: options.maxEntries ?? 10_000, ttl: options.ttlMs });
  }

  /** The cached session, `null` when known to be inactive, `undefined` when not cached. */
  get(sessionId: string): ActiveSession | null | undefined {
    const session = this.entries.get(sessionId, GET_OPTIONS);
    return session === INACTIVE ? null : session;
  }

  set(sessionId: string, session: ActiveSession | null): void {
    this.entries.set(sessionId, session ?? INACTIVE);
  }

  evict(sessionId: string): void {
    this.entries.delete(sessionId);
  }

  clear(): void {
    this.entries.clear();
  }
}
