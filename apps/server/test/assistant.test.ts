import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorDataOf } from '@bastion/client';
import { startFakeOpenAi, TEST_AI_API_KEY, UPSTREAM_SECRET, type FakeOpenAi } from '../../../test/helpers/fake-openai.ts';
import { failureOf, post, startTestServer, STRONG_PASSWORD, tokensOf, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

let upstream: FakeOpenAi;
let server: TestServer;
const BUDGET = 1000;

beforeAll(async () => {
  upstream = await startFakeOpenAi();
  server = await startTestServer({
    AI_PROVIDER: 'openai',
    AI_BASE_URL: upstream.baseUrl,
    AI_API_KEY: TEST_AI_API_KEY,
    AI_MODELS: 'test/normal,test/slow,test/429,test/500,test/malformed,test/stream-broken,test/stream-slow,test/stream-paced',
    AI_TIMEOUT_MS: '300',
    AI_MAX_RETRIES: '1',
    AI_RETRY_BASE_MS: '5',
    AI_BREAKER_THRESHOLD: '100',
    AI_DAILY_TOKEN_BUDGET: String(BUDGET),
    AI_REQUESTS_PER_MINUTE: '1000',
  });
});

afterAll(async () => {
  await server.close();
  await upstream.close();
});

async function signIn(options: { verified: boolean }, on: TestServer = server) {
  const email = uniqueEmail('assistant');
  await on.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  // Email verification is another feature's flow; the assistant only reads the column.
  if (options.verified) await on.deps.sql`update users set email_verified_at = now() where email = ${email}`;
  const login = tokensOf(await on.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
  const accessToken = login.accessToken ?? '';
  return { accessToken, client: on.client({ accessToken }), userId: login.user.id };
}

const ask = (content: string, model = 'test/normal') => ({ model, messages: [{ role: 'user' as const, content }], maxTokens: 50 });

async function sanitizedFailureOf(promise: Promise<unknown>) {
  const { error, data } = await failureOf(promise);
  // A failure never carries the upstream's body or the key.
  expect(JSON.stringify({ error, data, message: (error as Error).message })).not.toMatch(new RegExp(`${UPSTREAM_SECRET}|${TEST_AI_API_KEY}`));
  return data;
}

/** Reads a tRPC SSE subscription to its end: the `data` of each message event, and any error. */
async function subscribe(accessToken: string, input: unknown) {
  const response = await fetch(`${server.url}/trpc/assistant.chatStream?input=${encodeURIComponent(JSON.stringify(input))}`, {
    headers: { ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), accept: 'text/event-stream' },
  });
  const text = await response.text();
  const events = text.split('\n\n').map((block) => {
    const lines = block.split('\n');
    const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
    return { event, data: data ? (JSON.parse(data) as Record<string, unknown>) : undefined };
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    messages: events.filter((e) => e.event === 'message' && e.data).map((e) => e.data as { type: string; content?: string; conversationId?: string }),
    error: events.find((e) => e.event === 'serialized-error')?.data as { data?: { reason?: string } } | undefined,
    raw: text,
  };
}

describe('access', () => {
  it('refuses unauthenticated and unverified callers', async () => {
    expect((await sanitizedFailureOf(server.client().assistant.chat.mutate(ask('hi'))))?.reason).toBe('unauthenticated');
    const unverified = await signIn({ verified: false });
    expect(await sanitizedFailureOf(unverified.client.assistant.chat.mutate(ask('hi')))).toMatchObject({ code: 'FORBIDDEN', reason: 'email_not_verified' });
    expect((await sanitizedFailureOf(unverified.client.assistant.usage.query()))?.reason).toBe('email_not_verified');
    const before = upstream.requests.get('test/normal') ?? 0;
    for (const token of ['', unverified.accessToken]) {
      const stream = await subscribe(token, ask('hi'));
      expect({ status: stream.status, reason: stream.error?.data?.reason }).toEqual({ status: 200, reason: token ? 'email_not_verified' : 'unauthenticated' });
      expect(stream.messages).toEqual([]);
    }
    expect(upstream.requests.get('test/normal') ?? 0).toBe(before);
  });
});

describe('validation', () => {
  it('refuses models outside the allow-list or of the wrong shape, and oversized messages, with field errors', async () => {
    const { client } = await signIn({ verified: true });
    expect(await sanitizedFailureOf(client.assistant.chat.mutate(ask('hi', 'gpt-unlisted')))).toMatchObject({ httpStatus: 400, reason: 'model_not_allowed', fieldErrors: { model: [expect.any(String)] } });
    expect((await sanitizedFailureOf(client.assistant.chat.mutate(ask('hi', 'bad model; drop'))))?.fieldErrors?.model).toBeDefined();
    expect((await sanitizedFailureOf(client.assistant.chat.mutate(ask('hi', 'x'.repeat(101)))))?.fieldErrors?.model).toBeDefined();
    expect((await sanitizedFailureOf(client.assistant.chat.mutate(ask('x'.repeat(4001)))))?.fieldErrors?.['messages.0.content']).toBeDefined();
    const tooMany = { model: 'test/normal', messages: Array.from({ length: 51 }, () => ({ role: 'user' as const, content: 'hi' })) };
    expect((await sanitizedFailureOf(client.assistant.chat.mutate(tooMany)))?.fieldErrors?.messages).toBeDefined();
    expect((await sanitizedFailureOf(client.assistant.chat.mutate({ ...ask('hi'), maxTokens: 4001 })))?.fieldErrors?.maxTokens).toBeDefined();
    expect((await sanitizedFailureOf(client.assistant.chat.mutate({ model: 'test/normal', messages: [] })))?.fieldErrors?.messages).toBeDefined();
  });
});

describe('chat and conversations', () => {
  it('answers, persists the conversation, continues it with its history, and scopes it to its owner', async () => {
    const { client } = await signIn({ verified: true });
    expect(await client.assistant.models.query()).toEqual({ models: ['test/normal', 'test/slow', 'test/429', 'test/500', 'test/malformed', 'test/stream-broken', 'test/stream-slow', 'test/stream-paced'], provider: 'openai' });
    const first = await client.assistant.chat.mutate(ask('first question'));
    expect(first).toMatchObject({ message: { role: 'assistant', content: 'Echo (1 messages): first question' }, usage: { promptTokens: 10, completionTokens: 5 } });
    const second = await client.assistant.chat.mutate({ ...ask('second question'), conversationId: first.conversationId });
    expect(second.conversationId).toBe(first.conversationId);
    // The stored question and answer went upstream before the new message.
    expect(second.message.content).toBe('Echo (3 messages): second question');

    const { conversations } = await client.assistant.conversations.list.query();
    expect(conversations).toEqual([expect.objectContaining({ id: first.conversationId, title: 'first question', model: 'test/normal' })]);
    const { conversation } = await client.assistant.conversations.get.query({ id: first.conversationId });
    expect(conversation.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'first question'],
      ['assistant', 'Echo (1 messages): first question'],
      ['user', 'second question'],
      ['assistant', 'Echo (3 messages): second question'],
    ]);

    const other = await signIn({ verified: true });
    expect((await sanitizedFailureOf(other.client.assistant.conversations.get.query({ id: first.conversationId })))?.code).toBe('NOT_FOUND');
    expect((await sanitizedFailureOf(other.client.assistant.conversations.delete.mutate({ id: first.conversationId })))?.code).toBe('NOT_FOUND');
    expect((await sanitizedFailureOf(other.client.assistant.chat.mutate({ ...ask('hijack'), conversationId: first.conversationId })))?.code).toBe('NOT_FOUND');
    expect((await other.client.assistant.conversations.list.query()).conversations).toEqual([]);

    await client.assistant.conversations.delete.mutate({ id: first.conversationId });
    expect((await client.assistant.conversations.list.query()).conversations).toEqual([]);
    expect((await sanitizedFailureOf(client.assistant.conversations.get.query({ id: first.conversationId })))?.reason).toBe('conversation_not_found');
  });

  it('reports the remaining quota', async () => {
    const { client } = await signIn({ verified: true });
    await client.assistant.chat.mutate(ask('count me'));
    expect(await client.assistant.usage.query()).toEqual({ requestsRemainingThisMinute: 999, tokensRemainingToday: BUDGET - 15, tokenBudgetPerDay: BUDGET });
    const metrics = server.deps.metrics;
    expect(await metrics.getSingleMetricAsString('bastion_assistant_tokens_total')).toMatch(/type="completion"} [1-9]/);
    expect(await metrics.getSingleMetricAsString('bastion_assistant_request_duration_seconds')).toMatch(/_count\{provider="openai",mode="chat",outcome="ok"} [1-9]/);
  });
});

describe('streaming over SSE', () => {
  it('streams the reply as deltas, then the stored result', async () => {
    const { accessToken, client } = await signIn({ verified: true });
    const result = await subscribe(accessToken, ask('stream please'));
    expect(result.status).toBe(200);
    expect(result.contentType).toMatch(/text\/event-stream/);
    const deltas = result.messages.filter((m) => m.type === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.content).join('')).toBe('Echo (1 messages): stream please');
    const done = result.messages.at(-1);
    expect(done).toMatchObject({ type: 'done', message: { role: 'assistant', content: 'Echo (1 messages): stream please' }, usage: { promptTokens: 10, completionTokens: 5 } });
    expect((await client.assistant.conversations.get.query({ id: done?.conversationId ?? '' })).conversation.messages).toHaveLength(2);
  });

  it('refuses a subscription from a foreign origin before it starts', async () => {
    const { accessToken } = await signIn({ verified: true });
    const before = upstream.requests.get('test/normal') ?? 0;
    const response = await fetch(`${server.url}/trpc/assistant.chatStream?input=${encodeURIComponent(JSON.stringify(ask('csrf')))}`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream', origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { data: { reason: 'origin_not_allowed' } } });
    expect(upstream.requests.get('test/normal') ?? 0).toBe(before);
  });

  it('delivers deltas as they arrive, and charges a stream abandoned midway for what it produced', async () => {
    const { accessToken, userId } = await signIn({ verified: true });
    const tokens = async () => (await server.deps.sql<{ tokens: number }[]>`select tokens from assistant_token_usage where user_id = ${userId}`)[0]?.tokens;
    const abort = new AbortController();
    const response = await fetch(`${server.url}/trpc/assistant.chatStream?input=${encodeURIComponent(JSON.stringify(ask('slowly', 'test/stream-slow')))}`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = '';
    // The upstream sends one chunk and then waits 5 s: the delta must reach us before that.
    while (!received.includes('"type":"delta"')) received += new TextDecoder().decode((await reader.read()).value);
    const reserved = await tokens();
    expect(reserved).toBeGreaterThan(50);
    abort.abort();
    let settled = reserved;
    const deadline = Date.now() + 10_000;
    while (settled === reserved && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      settled = await tokens();
    }
    expect(settled).toBeGreaterThan(0);
    expect(settled).toBeLessThan(reserved ?? 0);
    const { conversations } = await server.client({ accessToken }).assistant.conversations.list.query();
    expect(conversations).toEqual([]);
  });

  it('ends a broken upstream stream with a stable error and no upstream detail', async () => {
    const { accessToken } = await signIn({ verified: true });
    const result = await subscribe(accessToken, ask('break', 'test/stream-broken'));
    expect(result.error?.data?.reason).toBe('assistant_upstream_error');
    expect(result.raw).not.toMatch(/broken|upstream-secret/);
  });
});

describe('upstream failures', () => {
  it.each([
    ['test/slow', 'GATEWAY_TIMEOUT', 'assistant_timeout'],
    ['test/429', 'SERVICE_UNAVAILABLE', 'assistant_busy'],
    ['test/500', 'BAD_GATEWAY', 'assistant_upstream_error'],
    ['test/malformed', 'BAD_GATEWAY', 'assistant_upstream_error'],
  ])('%s answers %s / %s, releases the reserved budget and counts the error', async (model, code, reason) => {
    const { client } = await signIn({ verified: true });
    expect(await sanitizedFailureOf(client.assistant.chat.mutate(ask('fail', model)))).toMatchObject({ code, reason });
    expect((await client.assistant.usage.query()).tokensRemainingToday).toBe(BUDGET);
    const metrics = await server.deps.metrics.getSingleMetricAsString('bastion_assistant_errors_total');
    expect(metrics).toMatch(/kind="(timeout|rate_limited|server_error|malformed)"} [1-9]/);
  });
});

describe('the daily token budget', () => {
  it('is never exceeded by 100 parallel calls', async () => {
    // Its own server with patient timeouts: on a loaded machine 100 calls at once may queue for
    // the pool or the upstream, and the only refusal this test may see is the budget's.
    const patient = await startTestServer({
      AI_PROVIDER: 'openai',
      AI_BASE_URL: upstream.baseUrl,
      AI_API_KEY: TEST_AI_API_KEY,
      AI_MODELS: 'test/normal',
      AI_TIMEOUT_MS: '30000',
      AI_DAILY_TOKEN_BUDGET: String(BUDGET),
      AI_REQUESTS_PER_MINUTE: '1000',
      DB_POOL_ACQUIRE_TIMEOUT_MS: '30000',
    });
    try {
      const { client, userId } = await signIn({ verified: true }, patient);
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => client.assistant.chat.mutate(ask(`parallel ${i}`))));
      const succeeded = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(errorDataOf(r.reason)?.reason).toBe('token_budget_exceeded');
      const [row] = await patient.deps.sql<{ tokens: number }[]>`select tokens from assistant_token_usage where user_id = ${userId}`;
      // Every success was charged its real usage (15); nothing else remains reserved.
      expect(row?.tokens).toBe(succeeded * 15);
      expect(row?.tokens).toBeLessThanOrEqual(BUDGET);
      expect((await client.assistant.usage.query()).tokensRemainingToday).toBe(BUDGET - succeeded * 15);
    } finally {
      await patient.close();
    }
  });

  it('refuses a request larger than the whole budget before calling the upstream', async () => {
    const { client } = await signIn({ verified: true });
    const before = upstream.requests.get('test/normal') ?? 0;
    expect((await sanitizedFailureOf(client.assistant.chat.mutate({ ...ask('x'.repeat(3900)), maxTokens: 4000 })))?.reason).toBe('token_budget_exceeded');
    expect(upstream.requests.get('test/normal') ?? 0).toBe(before);
  });
});

describe('the per-user request limit', () => {
  it('answers 429 with the assistant policy headers once AI_REQUESTS_PER_MINUTE is spent', async () => {
    const limited = await startTestServer({ AI_REQUESTS_PER_MINUTE: '2' }, undefined);
    try {
      const email = uniqueEmail('limited');
      await limited.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
      await limited.deps.sql`update users set email_verified_at = now() where email = ${email}`;
      const { accessToken } = tokensOf(await limited.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
      const call = () => post(limited, 'assistant.chat', ask('hi', 'local/echo-1'), { authorization: `Bearer ${accessToken}` });
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(200);
      const refused = await call();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('ratelimit-policy')).toBe('"assistant.expensive";q=2;w=60');
      expect(refused.json).toMatchObject({ error: { data: { reason: 'rate_limited' } } });
      const usage = await limited.client({ accessToken: accessToken ?? '' }).assistant.usage.query();
      expect(usage.requestsRemainingThisMinute).toBe(0);
    } finally {
      await limited.close();
    }
  });
});

describe('request ids (idempotent replays)', () => {
  const upstreamCalls = (model = 'test/normal') => upstream.requests.get(model) ?? 0;
  const tokensOfUser = async (userId: string) => (await server.deps.sql<{ tokens: number }[]>`select tokens from assistant_token_usage where user_id = ${userId}`)[0]?.tokens ?? 0;

  it('answers a replayed chat from the stored reply without an upstream call or a second charge, and refuses another input under the same id', async () => {
    const { client, userId } = await signIn({ verified: true });
    const input = { ...ask('only once'), requestId: randomUUID() };
    const before = upstreamCalls();
    const first = await client.assistant.chat.mutate(input);
    expect(await client.assistant.chat.mutate(input)).toEqual(first);
    expect(await client.assistant.chat.mutate(input)).toEqual(first);
    expect(upstreamCalls()).toBe(before + 1);
    expect(await tokensOfUser(userId)).toBe(15);
    expect((await client.assistant.conversations.get.query({ id: first.conversationId })).conversation.messages).toHaveLength(2);
    expect(await sanitizedFailureOf(client.assistant.chat.mutate({ ...input, messages: [{ role: 'user', content: 'something else' }] }))).toMatchObject({ code: 'BAD_REQUEST', reason: 'request_id_reused' });
    expect(upstreamCalls()).toBe(before + 1);
    // Without a request id nothing changes: every call is a new one.
    await client.assistant.chat.mutate(ask('only once'));
    expect(upstreamCalls()).toBe(before + 2);
  });

  it('makes one upstream call and one charge of 10 concurrent chats with one request id', async () => {
    const { client, userId } = await signIn({ verified: true });
    const input = { ...ask('all at once'), requestId: randomUUID() };
    const before = upstreamCalls();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => client.assistant.chat.mutate(input)));
    const answers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    for (const r of results) if (r.status === 'rejected') expect(errorDataOf(r.reason)).toMatchObject({ code: 'CONFLICT', reason: 'request_in_progress' });
    expect(upstreamCalls()).toBe(before + 1);
    expect(await tokensOfUser(userId)).toBe(15);
    expect((await client.assistant.conversations.list.query()).conversations).toHaveLength(1);
  });

  it('makes one upstream call of 10 concurrent streams with one request id, each ending with the same reply', async () => {
    const { accessToken, userId } = await signIn({ verified: true });
    const input = { ...ask('stream at once'), requestId: randomUUID() };
    const before = upstreamCalls();
    const streams = await Promise.all(Array.from({ length: 10 }, () => subscribe(accessToken, input)));
    for (const stream of streams) {
      expect(stream.error).toBeUndefined();
      expect(stream.messages.at(-1)).toMatchObject({ type: 'done', message: { content: 'Echo (1 messages): stream at once' } });
      expect(stream.messages.filter((m) => m.type === 'delta').map((m) => m.content).join('')).toBe('Echo (1 messages): stream at once');
    }
    expect(upstreamCalls()).toBe(before + 1);
    expect(await tokensOfUser(userId)).toBe(15);
  });

  it('finishes a stream cut midway without the client, and answers the reconnect with the stored reply as one delta plus done', async () => {
    const { accessToken, userId } = await signIn({ verified: true });
    const input = { ...ask('cut me off', 'test/stream-paced'), requestId: randomUUID() };
    const before = upstreamCalls('test/stream-paced');
    const abort = new AbortController();
    const response = await fetch(`${server.url}/trpc/assistant.chatStream?input=${encodeURIComponent(JSON.stringify(input))}`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = '';
    while (!received.includes('"type":"delta"')) received += new TextDecoder().decode((await reader.read()).value);
    // The upstream pauses after its first chunk: the connection drops in the middle of the reply.
    expect(received).not.toContain('"type":"done"');
    abort.abort();

    const resumed = await subscribe(accessToken, input);
    const reply = 'Echo (1 messages): cut me off';
    expect(resumed.error).toBeUndefined();
    expect(resumed.messages).toEqual([
      { type: 'delta', content: reply },
      expect.objectContaining({ type: 'done', message: { role: 'assistant', content: reply }, usage: { promptTokens: 10, completionTokens: 5 } }),
    ]);
    expect(upstreamCalls('test/stream-paced')).toBe(before + 1);
    expect(await tokensOfUser(userId)).toBe(15);
    const { conversations } = await server.client({ accessToken }).assistant.conversations.list.query();
    expect(conversations.map((c) => c.id)).toEqual([resumed.messages.at(-1)?.conversationId]);
  });

  it('scopes a request id to its owner: another user with the same id gets a call and a charge of their own', async () => {
    const owner = await signIn({ verified: true });
    const other = await signIn({ verified: true });
    const input = { ...ask('mine'), requestId: randomUUID() };
    const before = upstreamCalls();
    const mine = await owner.client.assistant.chat.mutate(input);
    const theirs = await other.client.assistant.chat.mutate(input);
    expect(theirs.conversationId).not.toBe(mine.conversationId);
    expect(upstreamCalls()).toBe(before + 2);
    expect([await tokensOfUser(owner.userId), await tokensOfUser(other.userId)]).toEqual([15, 15]);
    // Each replay gets its own owner's answer.
    expect(await owner.client.assistant.chat.mutate(input)).toEqual(mine);
    expect(await other.client.assistant.chat.mutate(input)).toEqual(theirs);
    expect(upstreamCalls()).toBe(before + 2);
    // Someone else's id with another input is not "reused": it is a new request of this user.
    const third = await signIn({ verified: true });
    const stream = await subscribe(third.accessToken, { ...input, messages: [{ role: 'user', content: 'not mine' }] });
    expect(stream.error).toBeUndefined();
    expect(stream.messages.at(-1)).toMatchObject({ type: 'done', message: { content: 'Echo (1 messages): not mine' } });
    expect((await sanitizedFailureOf(other.client.assistant.conversations.get.query({ id: mine.conversationId })))?.code).toBe('NOT_FOUND');
  });

  it('gives the request id of a failed call back, so the same message can be retried', async () => {
    const { client, userId } = await signIn({ verified: true });
    const input = { ...ask('fail then retry', 'test/500'), requestId: randomUUID() };
    expect((await sanitizedFailureOf(client.assistant.chat.mutate(input)))?.reason).toBe('assistant_upstream_error');
    const before = upstreamCalls('test/500');
    expect((await sanitizedFailureOf(client.assistant.chat.mutate(input)))?.reason).toBe('assistant_upstream_error');
    expect(upstreamCalls('test/500')).toBeGreaterThan(before);
    expect(await tokensOfUser(userId)).toBe(0);
  });
});
