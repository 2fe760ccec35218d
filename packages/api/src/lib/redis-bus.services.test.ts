import pino from 'pino';
import { it } from 'vitest';
import { expectBusDelivers } from '../../../../test/helpers/bus-contract.ts';
import { createRedisBus } from './redis-bus.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

it('delivers a message published by one bus to the subscribers of another, per channel', async () => {
  const logger = pino({ level: 'silent' });
  const a = createRedisBus(REDIS_URL, logger);
  const b = createRedisBus(REDIS_URL, logger);
  try {
    await expectBusDelivers(a, b);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
