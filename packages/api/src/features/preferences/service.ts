import { eq, sql } from 'drizzle-orm';
import { schema, type Database } from '@bastion/db';
import type { Logger } from 'pino';
import type { InvalidationBus } from '../../lib/invalidation-bus.ts';
import { LruCache } from '../../lib/lru-cache.ts';
import type { Preferences, PreferencesUpdate } from './preferences.schema.ts';

const p = schema.userPreferences;
const CHANNEL = 'preferences_changed';

export const DEFAULT_PREFERENCES: Preferences = { theme: 'system', timeZone: 'UTC', locale: 'en', emailNotifications: true, updatedAt: null };

const columns = { theme: p.theme, timeZone: p.timeZone, locale: p.locale, emailNotifications: p.emailNotifications, updatedAt: p.updatedAt };

function toPreferences(row: { theme: Preferences['theme']; timeZone: string; locale: string; emailNotifications: boolean; updatedAt: Date }): Preferences {
  return { ...row, updatedAt: row.updatedAt.toISOString() };
}

/**
 * Preferences are read on many requests and written rarely: reads go through an in-process LRU
 * cache; a write evicts the entry here at once and on every other instance through the bus
 * (payload: the user id). A lost notification is bounded by the TTL.
 */
export class PreferencesStore {
  private readonly cache: LruCache<Preferences>;

  constructor(options: { ttlMs: number; maxEntries: number; onLookup?: (hit: boolean) => void }) {
    this.cache = new LruCache(options);
  }

  /** Subscribes to other instances' changes; call once at start. */
  async listen(bus: InvalidationBus): Promise<void> {
    await bus.subscribe(CHANNEL, (userId) => this.cache.invalidate(userId));
  }

  get(db: Database, userId: string): Promise<Preferences> {
    return this.cache.getOrLoad(userId, async () => {
      const [row] = await db.select(columns).from(p).where(eq(p.userId, userId)).limit(1);
      return row ? toPreferences(row) : DEFAULT_PREFERENCES;
    });
  }

  async update(deps: { db: Database; bus: InvalidationBus; log: Logger }, userId: string, patch: PreferencesUpdate): Promise<Preferences> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    if (Object.keys(changes).length === 0) return this.get(deps.db, userId);
    const [row] = await deps.db
      .insert(p)
      .values({ ...changes, userId })
      .onConflictDoUpdate({ target: p.userId, set: { ...changes, updatedAt: sql`now()` } })
      .returning(columns);
    this.cache.invalidate(userId);
    try {
      await deps.bus.publish(CHANNEL, userId);
    } catch (error) {
      deps.log.warn({ err: error }, 'preferences invalidation not published; other instances catch up within the cache TTL');
    }
    return toPreferences(row!);
  }
}
