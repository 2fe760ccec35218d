import pino from 'pino';
import { expect, it } from 'vitest';
import { createRedisBus } from './redis-bus.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

it('delivers a message published by one bus to the subscribers of another, per channel', async () => {
  const logger = pino({ level: 'silent' });
  const a = createRedisBus(REDIS_URL, logger);
  const b = createRedisBus(REDIS_URL, logger);
  try {
    const received: string[] = [];
    await b.subscribe('session_revoked', (payload) => received.push(payload));
    await a.publish('session_revoked', 'session-1');
    await a.publish('other_channel', 'ignored');
    const deadline = Date.now() + 5_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual(['session-1']);
    await expect(a.publish('Bad Channel;', 'x')).rejects.toThrow(/invalid channel/);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
