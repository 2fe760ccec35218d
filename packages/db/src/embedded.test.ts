import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded.ts';

let root: string;
let dataDir: string;
let handle: EmbeddedPostgresHandle;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'bastion-embedded-'));
  chmodSync(root, 0o711);
  dataDir = path.join(root, 'pg');
  handle = await startEmbeddedPostgres({ dataDir, persistent: false });
}, 120_000);

afterAll(async () => {
  await handle?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('an embedded PostgreSQL another process runs (pnpm dev)', () => {
  it('is found from its data directory, with a URL that connects', async () => {
    const running = runningEmbeddedPostgres({ dataDir });
    expect(running).toMatchObject({ port: handle.port });
    const sql = postgres(running!.url, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await sql.end();
    }
  });

  it('is not started a second time: the error says what runs there and what to do', async () => {
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/already running \(pid \d+, port \d+\).*DATABASE_URL/);
  });

  it('is not reported for a data directory nobody runs', () => {
    expect(runningEmbeddedPostgres({ dataDir: path.join(root, 'none') })).toBeNull();
  });
});
