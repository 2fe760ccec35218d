import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { tracingEnabled } from '@bastion/api';
import { startTestServer, STRONG_PASSWORD, tokensOf, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

/** Without OTEL_EXPORTER_OTLP_ENDPOINT nothing of tracing runs (ADR 110). */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

describe('tracing off', () => {
  it('registers no tracer provider, sends no traceparent and logs no trace id', async () => {
    const email = uniqueEmail('untraced');
    await server.client().auth.register.mutate({ email, password: STRONG_PASSWORD });
    const login = tokensOf(await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }));
    const response = await fetch(`${server.url}/trpc/contacts.list?input=%7B%7D`, { headers: { authorization: `Bearer ${login.accessToken ?? ''}` } });
    expect(response.status).toBe(200);
    await response.text();

    expect(tracingEnabled()).toBe(false);
    // The API's global provider is still its no-op proxy: spans from it record nothing.
    const probe = trace.getTracer('probe').startSpan('probe');
    expect(probe.isRecording()).toBe(false);
    expect(probe.spanContext().traceId).toBe('00000000000000000000000000000000');
    probe.end();
    expect(response.headers.get('traceparent')).toBeNull();
    expect(server.logs.join('')).not.toContain('trace_id');
  });
});
