import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/helpers/server.ts';

const TOKEN = 'metrics-token-for-metrics-tests-0123';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ METRICS_TOKEN: TOKEN });
});

afterAll(async () => {
  await server.close();
});

const scrape = (authorization?: string) => fetch(`${server.url}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe('/metrics', () => {
  it('answers only the bearer token, refusing near misses of any length with the JSON error shape', async () => {
    for (const authorization of [undefined, '', `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `bearer ${TOKEN}`, TOKEN, `Bearer ${'x'.repeat(10_000)}`]) {
      const response = await scrape(authorization);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { data: { reason: 'unauthenticated', httpStatus: 401, requestId: expect.any(String) } } });
    }
    expect((await scrape(`Bearer ${TOKEN}`)).status).toBe(200);
  });

  it('serves the pool figures from the last sample: scrapes send no query', async () => {
    const texts: string[] = [];
    for (let i = 0; i < 6; i++) texts.push(await (await scrape(`Bearer ${TOKEN}`)).text());
    const statements = texts.map((text) => valueOf(text, 'bastion_db_statements_total'));
    // At most one periodic sample may fall between the first scrape and the last.
    expect((statements.at(-1) ?? 0) - (statements[0] ?? 0)).toBeLessThanOrEqual(1);
    for (const text of texts) expect(valueOf(text, 'bastion_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
  });
});

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.ts');

/** main.ts with an otherwise valid production configuration (its database does not exist). */
function boot(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const key = () => randomBytes(32).toString('base64');
  const production = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: '0',
    APP_ORIGIN: 'https://app.example.test',
    JWT_SECRETS: `k1:${key()}`,
    REFRESH_TOKEN_SECRET: key(),
    ENCRYPTION_KEYS: `e1:${key()}`,
    SMTP_URL: 'smtp://127.0.0.1:9',
    DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:9/none',
    DB_CONNECT_TIMEOUT_S: '1',
    METRICS_TOKEN: TOKEN,
    AUDIT_CHECKPOINT_KEY: key(),
  };
  const child = spawn(process.execPath, ['--experimental-strip-types', MAIN], { env: { ...production, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('production boot', () => {
  it('refuses TRUST_PROXY=true and a missing METRICS_TOKEN, naming the variables', async () => {
    const refused = await boot({ TRUST_PROXY: 'true', METRICS_TOKEN: '' });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/TRUST_PROXY: true is refused in production/);
    expect(refused.output).toMatch(/METRICS_TOKEN: required in production/);
    // A hop count passes validation (and the boot goes on to fail on the missing database).
    const hops = await boot({ TRUST_PROXY: '1' });
    expect(hops.output).not.toMatch(/TRUST_PROXY|METRICS_TOKEN/);
  });
});
