import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { loadConfig, startTracing } from '@bastion/api';
import { startTestServer, STRONG_PASSWORD, TEST_ENV, tokensOf, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';
import { startFakeOpenAi, TEST_AI_API_KEY, type FakeOpenAi } from '../../../test/helpers/fake-openai.ts';
import { startReceiver, type Receiver } from '../../../test/helpers/webhook-receiver.ts';

/**
 * Tracing on (ADR 110), with the SDK's in-memory exporter in place of OTLP: the spans of real
 * requests, statements, jobs and deliveries through the real server and its workers.
 */
const TRACING_ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/unused', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '100' };
const exporter = new InMemorySpanExporter();
let server: TestServer;
let receiver: Receiver;
let upstream: FakeOpenAi;

beforeAll(async () => {
  await startTracing(loadConfig({ ...TEST_ENV, ...TRACING_ENV }).tracing, { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  upstream = await startFakeOpenAi();
  server = await startTestServer({ ...TRACING_ENV, AI_PROVIDER: 'openai', AI_BASE_URL: upstream.baseUrl, AI_API_KEY: TEST_AI_API_KEY, AI_MODELS: 'test/normal' });
  receiver = await startReceiver();
});

afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await upstream?.close();
});

const spans = () => exporter.getFinishedSpans();
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const inTrace = (traceId: string) => spans().filter((span) => traceOf(span) === traceId);
/** `traceparent`: version-traceid-spanid-flags. */
const parseTraceparent = (value: string | null | undefined) => {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(value ?? '');
  if (!match) throw new Error(`not a traceparent: ${value}`);
  return { traceId: match[1]!, spanId: match[2]! };
};

async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function signIn() {
  const email = uniqueEmail('traced');
  await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
  await server.deps.sql`update users set email_verified_at = now() where email = ${email}`;
  const login = tokensOf(await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
  return { email, userId: login.user.id, accessToken: login.accessToken ?? '' };
}

/** A raw tRPC GET, for its response headers. */
async function query(path: string, input: unknown, accessToken?: string) {
  const url = `${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
  return fetch(url, { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });
}

describe('a traced procedure call', () => {
  let user: Awaited<ReturnType<typeof signIn>>;
  let response: Response;
  let procedure: ReadableSpan;
  beforeAll(async () => {
    user = await signIn();
    response = await query('contacts.list', {}, user.accessToken);
    expect(response.status).toBe(200);
    await response.text();
    const { traceId } = parseTraceparent(response.headers.get('traceparent'));
    procedure = await until(
      () => inTrace(traceId).find((span) => span.name === 'trpc contacts.list'),
      (span) => span !== undefined,
    ).then((span) => span!);
  });

  it('answers with the traceparent of its request span, under which the procedure span runs', async () => {
    const { traceId, spanId } = parseTraceparent(response.headers.get('traceparent'));
    const request = await until(
      () => inTrace(traceId).find((span) => span.kind === SpanKind.SERVER),
      (span) => span !== undefined,
    );
    expect(idOf(request!)).toBe(spanId);
    expect(request!.name).toBe('GET /trpc');
    expect(request!.attributes['http.response.status_code']).toBe(200);
    expect(procedure.parentSpanContext?.spanId).toBe(spanId);
  });

  it('names procedure, type, outcome, request id and a pseudonym of the user', () => {
    expect(procedure.attributes).toMatchObject({
      'rpc.system.name': 'trpc',
      'rpc.method': 'contacts.list',
      'trpc.procedure.type': 'query',
      'trpc.outcome': 'ok',
      'bastion.request_id': response.headers.get('x-request-id'),
    });
    const pseudonym = procedure.attributes['enduser.pseudo.id'];
    expect(typeof pseudonym).toBe('string');
    expect(pseudonym).not.toContain(user.userId);
  });

  it('has a child span per database statement, with its SQL and no values', () => {
    const statements = inTrace(traceOf(procedure)).filter((span) => span.attributes['db.system.name'] === 'postgresql');
    const underProcedure = statements.filter((span) => span.parentSpanContext?.spanId === idOf(procedure));
    expect(underProcedure.length).toBeGreaterThanOrEqual(1);
    for (const span of statements) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      const text = String(span.attributes['db.query.text']);
      expect(text).toMatch(/^\s*(select|insert|update|delete|with)/i);
      expect(text).not.toContain(user.userId);
    }
    expect(statements.some((span) => /\$1/.test(String(span.attributes['db.query.text'])))).toBe(true);
  });

  it('nests the statements of a transaction under its span', async () => {
    const call = (path: string, body: unknown) =>
      fetch(`${server.url}/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` },
        body: JSON.stringify(body),
      });
    // A create is one statement; an update is a transaction (the row, then its outbox event).
    const created = await call('contacts.create', { name: 'Before the transaction' });
    expect(created.status).toBe(200);
    const { id } = ((await created.json()) as { result: { data: { id: string } } }).result.data;
    const updated = await call('contacts.update', { id, name: 'In a transaction' });
    expect(updated.status).toBe(200);
    const { traceId } = parseTraceparent(updated.headers.get('traceparent'));
    const trace = await until(
      () => inTrace(traceId),
      (found) => found.some((span) => span.name === 'trpc contacts.update'),
    );
    const procedureSpan = trace.find((span) => span.name === 'trpc contacts.update')!;
    const transaction = trace.find((span) => span.name === 'transaction');
    expect(transaction?.parentSpanContext?.spanId).toBe(idOf(procedureSpan));
    const inside = trace.filter((span) => span.parentSpanContext?.spanId === idOf(transaction!));
    expect(inside.map((span) => span.attributes['db.operation.name'])).toEqual(expect.arrayContaining(['UPDATE', 'INSERT']));
  });

  it('records a refusal as its error code', async () => {
    const refused = await query('contacts.list', {});
    expect(refused.status).toBe(401);
    const { traceId } = parseTraceparent(refused.headers.get('traceparent'));
    const span = await until(
      () => inTrace(traceId).find((candidate) => candidate.name === 'trpc contacts.list'),
      (found) => found !== undefined,
    );
    expect(span!.attributes['trpc.outcome']).toBe('UNAUTHORIZED');
    expect(span!.attributes['enduser.pseudo.id']).toBeUndefined();
  });

  it('puts the trace id on the log lines of the request, the access log included', async () => {
    const { traceId } = parseTraceparent(response.headers.get('traceparent'));
    const requestId = response.headers.get('x-request-id');
    const lines = () => server.logs.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = await until(
      () => lines().find((line) => line.requestId === requestId && line.msg === 'request completed'),
      (line) => line !== undefined,
    );
    expect(access!.trace_id).toBe(traceId);
  });

  it('a REST call gets the same spans: the request under /api/v1 and the procedure it calls', async () => {
    const rest = await fetch(`${server.url}/api/v1/preferences`, { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(rest.status).toBe(200);
    await rest.text();
    const { traceId, spanId } = parseTraceparent(rest.headers.get('traceparent'));
    const trace = await until(
      () => inTrace(traceId),
      (found) => found.some((span) => span.kind === SpanKind.SERVER),
    );
    expect(trace.find((span) => span.kind === SpanKind.SERVER)?.name).toBe('GET /api/v1');
    const call = trace.find((span) => span.name === 'trpc preferences.get');
    expect(call?.parentSpanContext?.spanId).toBe(spanId);
    expect(call?.attributes['trpc.outcome']).toBe('ok');
  });

  it('continues the trace a caller sends in traceparent', async () => {
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const continued = await fetch(`${server.url}/trpc/contacts.list?input=%7B%7D`, {
      headers: { authorization: `Bearer ${user.accessToken}`, traceparent: `00-${callerTrace}-b7ad6b7169203331-01` },
    });
    await continued.text();
    expect(parseTraceparent(continued.headers.get('traceparent')).traceId).toBe(callerTrace);
  });
});

describe('jobs and outgoing requests', () => {
  it('a job sent by a procedure is worked in the same trace', async () => {
    const email = uniqueEmail('traced-job');
    const response = await fetch(`${server.url}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: STRONG_PASSWORD }),
    });
    expect(response.ok).toBe(true);
    const { traceId } = parseTraceparent(response.headers.get('traceparent'));
    const trace = await until(
      () => inTrace(traceId),
      (found) => found.some((span) => span.kind === SpanKind.CONSUMER && span.name === 'process send-mail'),
    );
    const send = trace.find((span) => span.kind === SpanKind.PRODUCER && span.name === 'send send-mail');
    const register = trace.find((span) => span.name === 'trpc auth.register');
    const work = trace.find((span) => span.kind === SpanKind.CONSUMER)!;
    expect(send).toBeDefined();
    expect(register).toBeDefined();
    expect(work.parentSpanContext?.spanId).toBe(idOf(send!));
    // The worker's own statements are the work span's children.
    expect(trace.some((span) => span.parentSpanContext?.spanId === idOf(work) && span.attributes['db.system.name'] === 'postgresql')).toBe(true);
  });

  it('a webhook delivery is a client span whose traceparent the receiver gets', async () => {
    const user = await signIn();
    const client = server.client({ accessToken: user.accessToken });
    await client.webhooks.endpoints.create.mutate({ url: receiver.url('/traced'), events: ['*'] });
    await client.contacts.create.mutate({ name: 'Traced contact' });
    const [delivered] = await receiver.waitFor((received) => received.some((request) => request.path === '/traced')).then(() =>
      receiver.received.filter((request) => request.path === '/traced'),
    );
    const sent = parseTraceparent(delivered!.headers.traceparent as string);
    const outgoing = await until(
      () => spans().find((span) => idOf(span) === sent.spanId),
      (span) => span !== undefined,
    );
    expect(outgoing!.kind).toBe(SpanKind.CLIENT);
    expect(traceOf(outgoing!)).toBe(sent.traceId);
    expect(outgoing!.attributes).toMatchObject({ 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'http.response.status_code': 200 });
    // The URL's path stays out: a webhook URL may carry a credential.
    expect(JSON.stringify(outgoing!.attributes)).not.toContain('/traced');
    // The job's span ends after the delivery is recorded.
    const parent = await until(
      () => spans().find((span) => idOf(span) === outgoing!.parentSpanContext?.spanId),
      (span) => span !== undefined,
    );
    expect(parent!.name).toBe('process webhook-deliver');
  });

  it('the assistant upstream call (global fetch) is a client span under the procedure', async () => {
    const user = await signIn();
    const response = await fetch(`${server.url}/trpc/assistant.chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` },
      body: JSON.stringify({ model: 'test/normal', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(response.status).toBe(200);
    const { traceId } = parseTraceparent(response.headers.get('traceparent'));
    const trace = await until(
      () => inTrace(traceId),
      (found) => found.some((span) => span.name === 'trpc assistant.chat'),
    );
    const call = trace.find((span) => span.name === 'trpc assistant.chat')!;
    const outgoing = trace.find((span) => span.kind === SpanKind.CLIENT && span.attributes['server.port'] === Number(new URL(upstream.baseUrl).port));
    expect(outgoing?.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200 });
    expect(outgoing?.parentSpanContext?.spanId).toBe(idOf(call));
  });

  it('no span attribute holds a user id, an email address or a token', async () => {
    const user = await signIn();
    await (await query('contacts.list', {}, user.accessToken)).text();
    await until(
      () => spans().filter((span) => span.name === 'trpc contacts.list').length,
      (count) => count >= 3,
    );
    const text = JSON.stringify(spans().map((span) => ({ name: span.name, attributes: span.attributes, events: span.events })));
    expect(text).not.toContain(user.userId);
    expect(text).not.toContain(user.email);
    expect(text).not.toContain(user.accessToken);
    expect(text).not.toContain(TEST_AI_API_KEY);
    expect(text).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}/);
  });
});
