import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { checkChannel, dispatch, type Handler, type InvalidationBus } from './invalidation-bus.ts';

/** Keeps the application's channels apart from anything else on a shared Redis. */
const PREFIX = 'bastion:';
const PUBLISH_TIMEOUT_MS = 1_000;
const SUBSCRIBE_WAIT_MS = 2_000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

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
      // While Redis is down a publish must not hold up the request that revoked something: give up
      // after a bound (the command may still go out on reconnect; evictions are idempotent).
      const published = await Promise.race([publisher.publish(PREFIX + channel, payload).then(() => true), delay(PUBLISH_TIMEOUT_MS).then(() => false)]);
      if (!published) throw new Error('invalidation bus: publish timed out');
    },
    async subscribe(channel, handler) {
      checkChannel(channel);
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        // While Redis is unreachable the subscription waits in ioredis' queue (and is renewed on every
        // reconnect); a bounded wait keeps a Redis outage from stopping the server from starting.
        const subscribed = subscriber.subscribe(PREFIX + channel);
        const ready = await Promise.race([subscribed.then(() => true), delay(SUBSCRIBE_WAIT_MS).then(() => false)]).catch(() => false);
        if (!ready) logger.warn({ channel }, 'invalidation bus: Redis unreachable; subscribing when it returns');
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
