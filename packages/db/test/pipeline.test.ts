import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { createDb, PoolTimeoutError, type DbHandle } from '../src/index.ts';

const settings = { idleTimeoutSeconds: 5, maxLifetimeSeconds: 60, connectTimeoutSeconds: 5, statementTimeoutMs: 5_000 };
let url: string;
const handles: DbHandle[] = [];
const open = (extra: { poolMax: number; pipeline?: number; acquireTimeoutMs?: number }) => {
  const handle = createDb({ url, ...settings, ...extra });
  handles.push(handle);
  return handle;
};

beforeAll(async () => {
  url = await createTestDatabase();
});
afterAll(() => Promise.all(handles.map((handle) => handle.close())));

describe('pipelining through the pool gate', () => {
  it('sends a second statement down a busy connection: both in flight on one backend, each its own answer', async () => {
    const { sql, pool } = open({ poolMax: 1, pipeline: 2 });
    await sql`select 1`; // the connection is open
    const first = sql<{ pid: number; n: number }[]>`select pg_backend_pid() as pid, 1 as n, pg_sleep(0.02)::text`;
    const second = sql<{ pid: number; n: number }[]>`select pg_backend_pid() as pid, 2 as n`;
    const both = Promise.all([first, second]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(pool.stats()).toMatchObject({ size: 1, capacity: 2, inUse: 2, waiting: 0 });
    const [[a], [b]] = await both;
    expect(a!.pid).toBe(b!.pid);
    expect([a!.n, b!.n]).toEqual([1, 2]);
  });

  it('keeps an error to its own statement: the one pipelined behind it still answers', async () => {
    const { sql } = open({ poolMax: 1, pipeline: 2 });
    await sql`select 1`;
    const failing = sql`select 1 / 0`;
    const after = sql<{ ok: boolean }[]>`select true as ok`;
    const [failed, answered] = await Promise.allSettled([failing, after]);
    expect(failed.status).toBe('rejected');
    expect(answered).toEqual({ status: 'fulfilled', value: [{ ok: true }] });
  });

  it('pipelines nothing behind a slow statement: the next call waits for the acquire timeout, not for it', async () => {
    const { sql } = open({ poolMax: 1, pipeline: 2, acquireTimeoutMs: 200 });
    await sql`select 1`;
    const slow = sql`select pg_sleep(1.5)`.then(() => 'slept'); // a query runs once awaited
    await new Promise((resolve) => setTimeout(resolve, 150)); // older than PIPELINE_MAX_AGE_MS
    const startedAt = Date.now();
    await expect(sql`select 1`).rejects.toBeInstanceOf(PoolTimeoutError);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    await expect(slow).resolves.toBe('slept');
  });

  it('runs transactions alone on their connection, statements beside them on the others', async () => {
    const { db, sql } = open({ poolMax: 2, pipeline: 2 });
    await Promise.all([sql`select 1`, sql`select 1`]);
    const pids = await Promise.all(
      [0, 1].map(() =>
        db.transaction(async (tx) => {
          const rows = await tx.execute<{ pid: number }>('select pg_backend_pid() as pid, pg_sleep(0.05)');
          return rows[0]!.pid;
        }),
      ),
    );
    expect(new Set(pids).size).toBe(2);
  });
});
