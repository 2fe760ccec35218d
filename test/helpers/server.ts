import { Writable } from 'node:stream';
import { loadConfig, type AppConfig } from '@bastion/api';
import { createBastionClient, errorDataOf } from '@bastion/client';
import { startServer, type RunningServer } from '@bastion/server';
import { createTestDatabase } from './database.ts';

export interface TestServer extends RunningServer {
  /** Every log line the server wrote, as text. */
  logs: string[];
  client: (options?: { accessToken?: string; headers?: Record<string, string> }) => ReturnType<typeof createBastionClient>;
}

export const TEST_ENV = {
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'debug',
  JWT_SECRETS: 'k2:dGVzdC1rZXktdHdvLWZvci1yb3RhdGlvbi10ZXN0cy0wMTIzNDU2Nzg5,k1:dGVzdC1rZXktb25lLWZvci1yb3RhdGlvbi10ZXN0cy0wMTIzNDU2Nzg5',
  REFRESH_TOKEN_SECRET: 'dGVzdC1yZWZyZXNoLXRva2VuLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm',
  // Every test client is 127.0.0.1: generous limits unless a test sets its own (rate-limit tests do).
  RATE_LIMITS: '*=100000/60',
  // Each delivery slot is a pg-boss poller; test servers need few (tests that need more set it).
  WEBHOOK_CONCURRENCY: '3',
};

/** The real server on an ephemeral port, over its own fresh database, with captured logs. */
export async function startTestServer(env: Record<string, string> = {}, databaseUrl?: string): Promise<TestServer> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const config: AppConfig = loadConfig({ ...TEST_ENV, DATABASE_URL: databaseUrl ?? (await createTestDatabase()), ...env });
  const server = await startServer({ config, logDestination: destination });
  return {
    ...server,
    // Every file that starts a server also proves its logs hold no credential.
    close: async () => {
      await server.close();
      assertNoSecretsIn(logs.join(''));
    },
    logs,
    // No retries: server tests assert exactly what the server answered (a 429, a 503) and count
    // calls. No client deadline of its own either: a slow call is the test's timeout to report.
    client: (options = {}) =>
      createBastionClient({ baseUrl: server.url, accessToken: options.accessToken, headers: options.headers, retries: 0, timeoutMs: 120_000 }),
  };
}

/** Raw HTTP, for what the typed client cannot express (cookies, odd content types, bodies). */
export async function post(server: { url: string }, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: safeJson(text) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const SECRET_PATTERNS: [string, RegExp][] = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/],
  ['a refresh token', /rt_[A-Za-z0-9_-]{43}/],
  ['an email verification or password reset token', /(ev|pr)_[A-Za-z0-9_-]{43}/],
  ['a test password', /correct-horse-battery-staple/],
  ['a Set-Cookie value', /bastion_(at|rt)=[^;\s"]+/],
  ['the test AI API key', /sk-bastion-test-/],
  ['an API key secret', /bst_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}/],
  ['an upstream error body', /upstream-secret-body/],
  ['a data-export download token', /dx_[A-Za-z0-9_-]{43}/],
  ['the development audit checkpoint key', /ZGV2ZWxvcG1lbnQtb25seS1hdWRpdC1jaGVja3BvaW50/],
  ['a webhook signing secret', /whsec_[A-Za-z0-9+/]{20,}/],
];

export function assertNoSecretsIn(text: string): void {
  for (const [what, pattern] of SECRET_PATTERNS) {
    if (pattern.test(text)) throw new Error(`server logs contain ${what}`);
  }
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}@example.com`;
}

export const STRONG_PASSWORD = 'correct-horse-battery-staple-42';

/** The error and its typed data of a call that must fail (and a test failure if it succeeds). */
export async function failureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return { error, data: errorDataOf(error) };
  }
  throw new Error('expected the call to fail');
}

/** The error data of a call that must fail. */
export async function refusalOf(promise: Promise<unknown>) {
  return (await failureOf(promise)).data;
}

/** The tokens of a password-only sign-in (`tokenDelivery: 'body'`); fails on a second-factor challenge. */
export function tokensOf<T extends { status: string }>(login: T): Extract<T, { status: 'authenticated' }> {
  if (login.status !== 'authenticated') throw new Error(`expected a completed sign-in, got ${login.status}`);
  return login as Extract<T, { status: 'authenticated' }>;
}
