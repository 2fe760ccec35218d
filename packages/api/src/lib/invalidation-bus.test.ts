import { afterAll, beforeAll, it } from 'vitest';
import pino from 'pino';
import { createDb, type DbHandle } from '@bastion/db';
import { createTestDatabase } from '../../../../test/helpers/database.ts';
import { expectBusDelivers } from '../../../../test/helpers/bus-contract.ts';
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
  await expectBusDelivers(createPostgresBus(pool().sql, logger), createPostgresBus(pool().sql, logger));
});
