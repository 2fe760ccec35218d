import { request } from 'node:http';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { failureOf, post, startTestServer, STRONG_PASSWORD, tokensOf, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

/**
 * What a development server shows to whoever can reach it: a server in development mode (errors
 * may carry internals there) with a trigger that fails the assistant's conversation insert.
 */
const APP_ORIGIN = 'http://app.example.test:5173';
const PARTNER_ORIGIN = 'https://partner.example.test';
const CANARY = 'stream-canary-5d2e';
let server: TestServer;
let db: postgres.Sql;

beforeAll(async () => {
  const url = await createTestDatabase();
  db = postgres(url, { max: 1, onnotice: () => {} });
  // The failure happens after the reply has streamed, when the exchange is saved: mid-stream.
  await db.unsafe(`
    create function test_fail_conversation() returns trigger language plpgsql as $$
    begin
      if new.title like '%fail-internally%' then
        raise exception 'internal failure' using errcode = 'XX000';
      end if;
      if new.title like '%fail-the-save%' then
        raise exception 'insert into conversations (owner_id, title) values ($1, $2) failed: ${CANARY}'
          using errcode = '53300', detail = 'Key (owner_id)=(${CANARY}) is wrong.', table = 'assistant_conversations', constraint = 'conversations_${CANARY}';
      end if;
      return new;
    end $$;
    create trigger test_fail_conversation before insert on assistant_conversations for each row execute function test_fail_conversation();`);
  server = await startTestServer({ NODE_ENV: 'development', APP_ORIGIN, CORS_ORIGINS: PARTNER_ORIGIN }, url);
});

afterAll(async () => {
  await db?.end();
  await server?.close();
});

/** Raw HTTP with a Host of our choosing (fetch does not let a caller set it). */
function get(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { headers: { host, accept: 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Host allow-list (DNS rebinding)', () => {
  it('refuses any other host name with 421 and the JSON error shape', async () => {
    for (const host of ['evil.example.test', `rebind.evil.test:${server.port}`, '10.1.2.3', 'app.example.test.evil.test']) {
      for (const path of ['/trpc/health.ping', '/dev/mailbox', '/']) {
        const response = await get(path, host);
        expect(response.status).toBe(421);
        expect(JSON.parse(response.body)).toEqual({ error: { message: expect.any(String), data: { reason: 'misdirected_request', httpStatus: 421, requestId: expect.any(String) } } });
      }
    }
  });

  it('serves the app origin, CORS origins and loopback at any port', async () => {
    for (const host of ['app.example.test:5173', 'APP.example.test', 'partner.example.test', 'localhost:1234', `127.0.0.1:${server.port}`, '[::1]:8080', 'localhost']) {
      expect((await get('/trpc/health.ping', host)).status).toBe(200);
    }
  });

  it('keeps the health probes reachable by IP, as load balancers call them', async () => {
    expect((await get('/healthz', '10.1.2.3:3000')).status).toBe(200);
    expect((await get('/readyz', '10.1.2.3')).status).toBe(200);
  });
});

describe('development mailbox', () => {
  it('is printed at start with a per-process key, and answers only with that key', async () => {
    const line = server.logs.find((entry) => entry.includes('development mailbox'));
    const url = new URL((JSON.parse(line ?? '{}') as { url?: string }).url ?? 'http://missing');
    expect(url.origin + url.pathname).toBe(`${APP_ORIGIN}/dev/mailbox`);
    const key = url.searchParams.get('key') ?? '';
    expect(key).toMatch(/^[A-Za-z0-9_-]{24}$/);
    // One call at a time: a refusal must have its handler attached before it settles.
    for (const wrongKey of [undefined, `${key}x`, 'a'.repeat(24)]) {
      const attempt = server.client().dev.mailbox.query(wrongKey === undefined ? undefined : { key: wrongKey });
      expect((await failureOf(attempt)).data).toMatchObject({ code: 'FORBIDDEN', reason: 'mailbox_key_required' });
    }
    expect(Array.isArray(await server.client().dev.mailbox.query({ key }))).toBe(true);
  });
});

async function verifiedUser() {
  const email = uniqueEmail('exposure');
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  await server.deps.sql`update users set email_verified_at = now() where email = ${email}`;
  return tokensOf(await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
}

describe('what a development server shows of an internal error', () => {
  it('is decided by the validated config (NODE_ENV=development here), not by process.env (test under vitest)', async () => {
    expect(process.env.NODE_ENV).not.toBe('development');
    const { accessToken } = await verifiedUser();
    const input = { model: 'local/echo-1', messages: [{ role: 'user', content: 'please fail-internally now' }], maxTokens: 50 };
    const response = await post(server, 'assistant.chat', input, { authorization: `Bearer ${accessToken}` });
    expect(response.status).toBe(500);
    expect((response.json as { error: { data: { reason: string; stack?: string } } }).error.data).toMatchObject({ reason: 'internal_server_error', stack: expect.any(String) });
  });
});

describe('errors raised while a subscription streams', () => {
  it('are mapped like any procedure error: a database failure is 503 with its reason, no SQL, even in development', async () => {
    const { accessToken } = await verifiedUser();
    const input = { model: 'local/echo-1', messages: [{ role: 'user', content: 'please fail-the-save now' }], maxTokens: 50 };
    const response = await fetch(`${server.url}/trpc/assistant.chatStream?input=${encodeURIComponent(JSON.stringify(input))}`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' },
    });
    const text = await response.text();
    const blocks = text.split('\n\n').map((block) => ({
      event: /^event: ?(.*)$/m.exec(block)?.[1]?.trim() ?? 'message',
      data: block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n'),
    }));
    // The reply streamed before the save failed.
    expect(blocks.some((block) => block.event === 'message' && block.data.includes('"delta"'))).toBe(true);
    const error = blocks.find((block) => block.event === 'serialized-error');
    expect(JSON.parse(error?.data ?? '{}')).toMatchObject({
      message: 'The service is temporarily unavailable.',
      data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503, reason: 'database_unavailable', requestId: expect.any(String) },
    });
    expect(text).not.toMatch(new RegExp(`${CANARY}|insert into|conversations|owner_id|\\$1`, 'i'));
  });
});
