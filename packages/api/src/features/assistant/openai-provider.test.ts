import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_USAGE, startFakeOpenAi, TEST_AI_API_KEY, UPSTREAM_SECRET, type FakeOpenAi } from '../../../../../test/helpers/fake-openai.ts';
import { loadConfig } from '../../config/index.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { createLocalProvider } from './local-provider.ts';
import { createOpenAiProvider } from './openai-provider.ts';
import { UpstreamError, type ChatProvider, type StreamEvent } from './provider.ts';

let upstream: FakeOpenAi;

beforeAll(async () => {
  upstream = await startFakeOpenAi();
});

afterAll(async () => {
  await upstream.close();
});

function provider(env: Record<string, string> = {}): ChatProvider {
  const config = loadConfig({
    AI_PROVIDER: 'openai',
    AI_BASE_URL: upstream.baseUrl,
    AI_API_KEY: TEST_AI_API_KEY,
    AI_MODELS: 'test/normal',
    AI_TIMEOUT_MS: '300',
    AI_MAX_RETRIES: '2',
    AI_RETRY_BASE_MS: '5',
    ...env,
  }).assistant;
  return createOpenAiProvider({ config });
}

const ask = (model: string, content = 'hello there') => ({ model, messages: [{ role: 'user' as const, content }], maxTokens: 50 });

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamError);
  const upstreamError = error as UpstreamError;
  // Whatever failed, nothing of the upstream's body or of the key is carried.
  expect(`${upstreamError.message} ${JSON.stringify(upstreamError)}`).not.toMatch(new RegExp(`${UPSTREAM_SECRET}|${TEST_AI_API_KEY}`));
  return upstreamError;
}

async function collect(events: AsyncIterable<StreamEvent>) {
  const all: StreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('the OpenAI-compatible provider', () => {
  it('returns the reply and the upstream usage', async () => {
    expect(await provider().complete(ask('test/normal'))).toEqual({ content: 'Echo (1 messages): hello there', usage: { promptTokens: FAKE_USAGE.prompt_tokens, completionTokens: FAKE_USAGE.completion_tokens } });
  });

  it('times out a slow upstream without retrying it', async () => {
    const before = upstream.requests.get('test/slow') ?? 0;
    expect((await failure(provider().complete(ask('test/slow')))).kind).toBe('timeout');
    expect(upstream.requests.get('test/slow')).toBe(before + 1);
  });

  it('retries 429 and 5xx with backoff, then gives up with the kind only', async () => {
    expect((await failure(provider().complete(ask('test/429')))).kind).toBe('rate_limited');
    expect(upstream.requests.get('test/429')).toBe(3);
    expect((await failure(provider().complete(ask('test/500')))).kind).toBe('server_error');
    expect(upstream.requests.get('test/500')).toBe(3);
  });

  it('succeeds when a retry does', async () => {
    expect((await provider().complete(ask('test/flaky', 'retry me'))).content).toContain('retry me');
    expect(upstream.requests.get('test/flaky')).toBe(3);
  });

  it('refuses a malformed body', async () => {
    expect((await failure(provider().complete(ask('test/malformed')))).kind).toBe('malformed');
  });

  it('streams deltas and the usage, and refuses a broken stream', async () => {
    const events = await collect(provider().stream(ask('test/normal', 'stream this')));
    expect(events.filter((e) => e.type === 'delta').map((e) => (e.type === 'delta' ? e.content : '')).join('')).toBe('Echo (1 messages): stream this');
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { promptTokens: 10, completionTokens: 5 } });
    expect((await failure(collect(provider().stream(ask('test/stream-broken'))))).kind).toBe('malformed');
  });

  it('opens the circuit after consecutive failures and fails fast without calling the upstream', async () => {
    const guarded = provider({ AI_BREAKER_THRESHOLD: '2', AI_BREAKER_COOLDOWN_MS: '60000', AI_MAX_RETRIES: '0' });
    const before = upstream.requests.get('test/500') ?? 0;
    await failure(guarded.complete(ask('test/500')));
    await failure(guarded.complete(ask('test/500')));
    expect((await failure(guarded.complete(ask('test/normal')))).kind).toBe('circuit_open');
    expect(upstream.requests.get('test/500')).toBe(before + 2);
  });
});

/** A real loopback HTTP server; every request it receives is recorded. */
async function listen(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: { method: string | undefined; url: string | undefined; authorization: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('upstream redirects', () => {
  it('are refused: a 307 or 308 never re-sends the prompt and the key to the redirect target', async () => {
    const elsewhere = await listen((_req, res) => res.end('{}'));
    const redirecting = await listen((_req, res) => {
      res.writeHead(redirecting.seen.length % 2 === 1 ? 307 : 308, { location: `${elsewhere.url}/v1/chat/completions` });
      res.end();
    });
    try {
      const client = provider({ AI_BASE_URL: `${redirecting.url}/v1` });
      expect((await failure(client.complete(ask('test/normal')))).kind).toBe('rejected');
      expect((await failure(collect(client.stream(ask('test/normal'))))).kind).toBe('rejected');
      // Asked once each (a redirect is not retried), and the target saw nothing.
      expect(redirecting.seen.map((request) => request.authorization)).toEqual([`Bearer ${TEST_AI_API_KEY}`, `Bearer ${TEST_AI_API_KEY}`]);
      expect(elsewhere.seen).toEqual([]);
    } finally {
      await redirecting.close();
      await elsewhere.close();
    }
  });
});

describe('the circuit breaker', () => {
  it('lets one trial call through after the cooldown and closes when it succeeds', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 1000, now: () => now });
    const failing = () => Promise.reject(new UpstreamError('server_error'));
    await expect(breaker.run(failing, () => true)).rejects.toThrow();
    expect(breaker.state).toBe('open');
    await expect(breaker.run(() => Promise.resolve('x'), () => true)).rejects.toMatchObject({ kind: 'circuit_open' });
    now = 1000;
    expect(breaker.state).toBe('half_open');
    await expect(breaker.run(failing, () => true)).rejects.toMatchObject({ kind: 'server_error' });
    expect(breaker.state).toBe('open');
    now = 2000;
    expect(await breaker.run(() => Promise.resolve('ok'), () => true)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });
});

describe('the local provider', () => {
  it('is deterministic, labelled, and bounded by maxTokens', async () => {
    const local = createLocalProvider();
    const first = await local.complete(ask('local/echo-1', 'hi'));
    expect(first).toEqual(await local.complete(ask('local/echo-1', 'hi')));
    expect(first.content).toMatch(/^\[Local demo assistant: .*not an AI model\.\] You said: "hi"/);
    expect((await local.complete({ ...ask('local/echo-1', 'hi'), maxTokens: 3 })).content.length).toBeLessThanOrEqual(9);
    const streamed = await collect(local.stream(ask('local/echo-1', 'hi')));
    expect(streamed.map((e) => (e.type === 'delta' ? e.content : '')).join('')).toBe(first.content);
    expect(streamed.at(-1)).toEqual({ type: 'usage', usage: first.usage });
  });
});
