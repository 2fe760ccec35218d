import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
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

  it('loads no module of the SDK: the whole import graph of the server has only the API package', async () => {
    // A resolve hook in a real `node --experimental-strip-types` process, as production runs.
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-off-'));
    const hook = path.join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const resolved = next(specifier, context); const name = /@opentelemetry\\/[^/]+/.exec(resolved.url); if (name) seen.add(name[0]); return resolved; } });
process.on('exit', () => console.log(JSON.stringify([...seen])));
`,
    );
    const root = new URL('../../../', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--experimental-strip-types', '--no-warnings', '--import', hook, '--input-type=module', '-e', "await import('./apps/server/src/server.ts'); await import('./apps/server/src/app.ts'); process.exit(0)"],
      { cwd: root },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual(['@opentelemetry/api']);
  });
});
