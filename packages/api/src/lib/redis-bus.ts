import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { checkChannel, dispatch, type Handler, type InvalidationBus } from './invalidation-bus.ts';

/** Keeps the application's channels apart from anything else on a shared Redis. */
const PREFIX = 'bastion:';

/**
 * The invalidation bus over Redis pub/sub, for deployments that set REDIS_URL (for example when
 * the database sits behind a transaction-pooling proxy, where LISTEN does not work). Subscribing
 * needs its own connection; ioredis re-subscribes after a reconnect.
 */
export function createRedisBus(url: string, logger: Logger): InvalidationBus {
  // No offline queue: while Redis is down a publish fails at once instead of holding up the request.
  const publisher = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false });
  const subscriber = new Redis(url);
  const handlers = new Map<string, Set<Handler>>();
  for (const connection of [publisher, subscriber]) {
    // Without a listener ioredis reports connection trouble as unhandled; the caches' TTL covers the gap.
    connection.on('error', (error: Error) => logger.warn({ err: error }, 'invalidation bus: Redis connection problem'));
  }
  subscriber.on('message', (channel: string, payload: string) => {
    const set = handlers.get(channel.slice(PREFIX.length));
    if (set) dispatch(set, channel, payload, logger);
  });
  return {
    async publish(channel, payload) {
      checkChannel(channel);
      await publisher.publish(PREFIX + channel, payload);
    },
    async subscribe(channel, handler) {
      checkChannel(channel);
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        // While Redis is unreachable the subscription waits in ioredis' queue (and is renewed on every
        // reconnect), so a Redis outage never stops the server from starting.
        const subscribed = subscriber.subscribe(PREFIX + channel);
        if (subscriber.status === 'ready') await subscribed;
        else subscribed.catch((error: unknown) => logger.warn({ err: error, channel }, 'invalidation bus: subscribe failed'));
      }
      set.add(handler);
    },
    async close() {
      handlers.clear();
      // quit() waits for a connection that may never come back; disconnect() does not.
      await Promise.allSettled([subscriber, publisher].map((connection) => (connection.status === 'ready' ? connection.quit() : connection.disconnect())));
    },
  };
}
