import { eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { schema, type Database } from '@bastion/db';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { InvalidationBus } from '../../lib/invalidation-bus.ts';
import { LruCache } from '../../lib/lru-cache.ts';
import { LastUsedRecorder } from './last-used.ts';
import { isScope, type Scope } from './scopes.ts';
import type { Role } from '../auth/permissions.ts';

/** Channel on the invalidation bus; payloads are comma-separated key prefixes, never secrets. */
export const API_KEY_CHANGED_CHANNEL = 'api_key_changed';
/** Bounds the staleness of a cached key should a notification be lost. */
const CACHE_TTL_MS = 60_000;
const PREFIXES_PER_MESSAGE = 500;

/** What verification needs of a key row (and its owner), cached by prefix. */
export interface KnownKey {
  id: string;
  userId: string;
  role: Role;
  scopes: Scope[];
  secretHash: string;
  hashKid: string;
  /** Epoch milliseconds, or null: checked on every use, so expiry needs no notification. */
  expiresAt: number | null;
  revoked: boolean;
  ownerDisabled: boolean;
}

/** Stands for "no such prefix": the cache cannot hold null. */
export const UNKNOWN_KEY = Object.freeze({ unknown: true as const });
type CachedKey = KnownKey | typeof UNKNOWN_KEY;

/**
 * The per-process state behind API key authentication: a cache of key rows by prefix (evicted at
 * once here and on every instance through the bus when a key is revoked), the last-use recorder,
 * and a memory of which refusals were recorded lately, so a client hammering with a revoked key
 * cannot turn each call into a security-event insert.
 */
export class ApiKeyStore {
  private readonly cache = new LruCache<CachedKey>({ ttlMs: CACHE_TTL_MS, maxEntries: 10_000 });
  private readonly recentRefusals = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });
  readonly lastUsed: LastUsedRecorder;

  constructor(deps: { db: Database; logger: Logger; metrics: Registry }) {
    this.lastUsed = new LastUsedRecorder(deps);
  }

  /** Subscribes to other instances' revocations; call once at start. */
  async listen(bus: InvalidationBus): Promise<void> {
    await bus.subscribe(API_KEY_CHANGED_CHANNEL, (payload) => {
      for (const prefix of payload.split(',')) if (prefix) this.cache.invalidate(prefix);
    });
  }

  find(db: Database, prefix: string): Promise<CachedKey> {
    return this.cache.getOrLoad(prefix, async () => {
      const k = schema.apiKeys;
      const u = schema.users;
      const [row] = await db
        .select({
          id: k.id,
          userId: k.userId,
          role: u.role,
          scopes: k.scopes,
          secretHash: k.secretHash,
          hashKid: k.hashKid,
          expiresAt: k.expiresAt,
          revokedAt: k.revokedAt,
          disabledAt: u.disabledAt,
        })
        .from(k)
        .innerJoin(u, eq(u.id, k.userId))
        .where(eq(k.prefix, prefix))
        .limit(1);
      if (!row) return UNKNOWN_KEY;
      return {
        id: row.id,
        userId: row.userId,
        role: row.role,
        scopes: row.scopes.filter(isScope),
        secretHash: row.secretHash,
        hashKid: row.hashKid,
        expiresAt: row.expiresAt?.getTime() ?? null,
        revoked: row.revokedAt !== null,
        ownerDisabled: row.disabledAt !== null,
      };
    });
  }

  /** Whether a refusal of this key for this reason should be recorded (once a minute per process). */
  shouldRecordRefusal(keyId: string, reason: string): boolean {
    const id = `${keyId}:${reason}`;
    if (this.recentRefusals.has(id)) return false;
    this.recentRefusals.set(id, true);
    return true;
  }

  /** Evicts here at once, then tells every other instance; a failed publish falls back on the TTL. */
  async announceChanged(deps: { bus: InvalidationBus; logger: Logger }, prefixes: readonly string[]): Promise<void> {
    for (const prefix of prefixes) this.cache.invalidate(prefix);
    for (let start = 0; start < prefixes.length; start += PREFIXES_PER_MESSAGE) {
      const chunk = prefixes.slice(start, start + PREFIXES_PER_MESSAGE);
      try {
        await deps.bus.publish(API_KEY_CHANGED_CHANNEL, chunk.join(','));
      } catch (error) {
        deps.logger.warn({ err: error, keys: chunk.length }, 'could not announce API key change; peers rely on cache expiry');
      }
    }
  }

  close(): Promise<void> {
    return this.lastUsed.flush();
  }
}
