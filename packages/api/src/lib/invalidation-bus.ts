import type { Sql } from '@bastion/db';
import type { Logger } from 'pino';

export type Handler = (payload: string) => void;

/**
 * Tells every instance (this one included) that something cached changed: a revoked session, an
 * updated preference. Backed by PostgreSQL LISTEN/NOTIFY on the application's own database, so it
 * needs no extra infrastructure. Payloads are identifiers, never secrets (NOTIFY is visible to
 * anyone who can LISTEN on the database).
 */
export interface InvalidationBus {
  publish(channel: string, payload: string): Promise<void>;
  subscribe(channel: string, handler: Handler): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = /^[a-z][a-z0-9_]{0,62}$/;

/** Channel names are identifiers in every transport (NOTIFY needs them to be). */
export function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new Error(`invalid channel name: ${channel}`);
}

/** Runs every handler; one that throws is logged and does not stop the others. */
export function dispatch(handlers: Iterable<Handler>, channel: string, payload: string, logger: Logger): void {
  for (const handler of handlers) {
    try {
      handler(payload);
    } catch (error) {
      logger.error({ err: error, channel }, 'invalidation handler failed');
    }
  }
}

export function createPostgresBus(sql: Sql, logger: Logger): InvalidationBus {
  const handlers = new Map<string, Set<Handler>>();
  const unlisteners: (() => Promise<void>)[] = [];
  return {
    async publish(channel, payload) {
      checkChannel(channel);
      await sql.notify(channel, payload);
    },
    async subscribe(channel, handler) {
      checkChannel(channel);
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        const listeners = set;
        // postgres.js re-listens on reconnect; a missed notification while disconnected is covered
        // by each cache's short TTL.
        const { unlisten } = await sql.listen(channel, (payload) => dispatch(listeners, channel, payload, logger));
        unlisteners.push(unlisten);
      }
      set.add(handler);
    },
    async close() {
      await Promise.allSettled(unlisteners.map((unlisten) => unlisten()));
      handlers.clear();
    },
  };
}
