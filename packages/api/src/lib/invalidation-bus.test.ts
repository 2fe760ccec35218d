import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { createDb, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../test/helpers/database.ts';
import { createPostgresBus } from './invalidation-bus.ts';

const pools: DbHandle[] = [];
let url: string;

beforeAll(async () => {
  url = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

function pool() {
  const handle = createDb({ url, poolMax: 2, idleTimeoutSeconds: 5, maxLifetimeSeconds: 600, connectTimeoutSeconds: 5, statementTimeoutMs: 5000 });
  pools.push(handle);
  return handle;
}

it('delivers a notification published on one pool to subscribers on another', async () => {
  const logger = pino({ level: 'silent' });
  const a = createPostgresBus(pool().sql, logger);
  const b = createPostgresBus(pool().sql, logger);
  const received: string[] = [];
  await b.subscribe('session_revoked', (payload) => received.push(payload));
  await a.publish('session_revoked', 'session-1');
  await a.publish('other_channel', 'ignored');
  const deadline = Date.now() + 5_000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(received).toEqual(['session-1']);
  await expect(a.publish('Bad Channel;', 'x')).rejects.toThrow(/invalid channel/);
});
