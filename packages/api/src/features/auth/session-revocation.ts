import { and, eq, isNull } from 'drizzle-orm';
import { schema } from '@bastion/db';
import type { AppDeps } from '../../context.ts';

/** Channel on the invalidation bus; payloads are comma-separated session ids, never tokens. */
export const SESSION_REVOKED_CHANNEL = 'session_revoked';

/** NOTIFY payloads are capped at 8000 bytes: 100 uuids and their separators stay well below it. */
const IDS_PER_MESSAGE = 100;

/**
 * Makes revoked sessions unusable everywhere at once: evicted here immediately, and every other
 * instance evicts them when the notification arrives. If publishing fails, the other instances
 * still stop accepting the session when their cache entry expires.
 */
export async function announceRevokedSessions(deps: Pick<AppDeps, 'bus' | 'sessionCache' | 'logger'>, sessionIds: readonly string[]): Promise<void> {
  for (const id of sessionIds) deps.sessionCache.evict(id);
  for (let start = 0; start < sessionIds.length; start += IDS_PER_MESSAGE) {
    const chunk = sessionIds.slice(start, start + IDS_PER_MESSAGE);
    try {
      await deps.bus.publish(SESSION_REVOKED_CHANNEL, chunk.join(','));
    } catch (error) {
      deps.logger.warn({ err: error, sessions: chunk.length }, 'could not announce session revocation; peers rely on cache expiry');
    }
  }
}

/** Called once per process at start: evicts sessions that any instance revoked. */
export async function listenForRevokedSessions(deps: Pick<AppDeps, 'bus' | 'sessionCache'>): Promise<void> {
  await deps.bus.subscribe(SESSION_REVOKED_CHANNEL, (payload) => {
    for (const id of payload.split(',')) if (id) deps.sessionCache.evict(id);
  });
}

/**
 * Forgets the cached state of every live session of `userId`, here and on every instance, without
 * ending them: the next call reads the role (or the account's state) from the database again.
 */
export async function evictUserSessions(deps: Pick<AppDeps, 'bus' | 'sessionCache' | 'logger' | 'db'>, userId: string): Promise<void> {
  const rows = await deps.db.select({ id: schema.sessions.id }).from(schema.sessions).where(and(eq(schema.sessions.userId, userId), isNull(schema.sessions.revokedAt)));
  await announceRevokedSessions(deps, rows.map((row) => row.id));
}
