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
  const publisher = new Redis(url, { maxRetriesPerRequest: 2 });
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
        await subscriber.subscribe(PREFIX + channel);
      }
      set.add(handler);
    },
    async close() {
      handlers.clear();
      await Promise.allSettled([subscriber.quit(), publisher.quit()]);
    },
  };
}
