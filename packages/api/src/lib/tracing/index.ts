import { createHmac } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
// Type-only: erased under strip-types, so the SDK still loads only through `startTracing`.
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { traceStatements } from '@bastion/db';
import type { TracingConfig } from '../../config/index.ts';

/**
 * OpenTelemetry tracing (ADR 110). Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then the SDK is
 * never imported and every hot-path hook below is one check of `tracer`, with nothing allocated.
 */
let tracer: Tracer | undefined;
let userIdKey: Buffer | undefined;
let running: Promise<TracingHandle> | undefined;

export interface TracingHandle {
  /** Exports what is buffered (the batch processor holds spans for up to 5 s). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Replaces the OTLP exporter's batch processor (tests: a SimpleSpanProcessor over an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/** Starts the SDK once per process; later calls (a second server in one test process) share it. */
export function startTracing(config: TracingConfig, options: TracingOptions = {}): Promise<TracingHandle> {
  running ??= (async () => {
    const { startSdk } = await import('./sdk.ts');
    const handle = await startSdk(config, options);
    userIdKey = config.userIdKey;
    tracer = trace.getTracer('bastion');
    traceStatements(tracer);
    return handle;
  })();
  return running;
}

export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/** The pseudonym of a user on spans: a keyed hash, never the id itself. */
export function userPseudonym(userId: string): string {
  return createHmac('sha256', userIdKey ?? '').update(userId).digest('base64url').slice(0, 22);
}

/** Names the caller on the active procedure span (the span starts before authentication does). */
export function setSpanUser(userId: string): void {
  if (!tracer) return;
  trace.getSpan(context.active())?.setAttribute('enduser.pseudo.id', userPseudonym(userId));
}

/** Codes that mean the server failed rather than the caller. */
const SERVER_FAULTS = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE', 'TIMEOUT', 'BAD_GATEWAY', 'GATEWAY_TIMEOUT']);

/**
 * A procedure call in its own span, active while it runs so that statements, jobs sent and
 * outgoing requests become its children. The outcome is `ok` or the tRPC error code.
 */
export async function traceProcedure<R extends { ok: boolean; error?: { code: string } }>(
  call: { path: string; type: string; requestId: string },
  run: () => Promise<R>,
): Promise<R> {
  const span: Span = tracer!.startSpan(`trpc ${call.path}`, {
    kind: SpanKind.INTERNAL,
    attributes: { 'rpc.system.name': 'trpc', 'rpc.method': call.path, 'trpc.procedure.type': call.type, 'bastion.request_id': call.requestId },
  });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), run);
    const code = result.ok ? 'ok' : (result.error?.code ?? 'INTERNAL_SERVER_ERROR');
    span.setAttribute('trpc.outcome', code);
    if (SERVER_FAULTS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR });
    return result;
  } catch (error) {
    span.setAttribute('trpc.outcome', 'INTERNAL_SERVER_ERROR');
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** pino `mixin`: the active trace on every log line. Installed only while tracing is on. */
export function traceLogFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  // A fresh object each time: pino merges the line's own fields into it.
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
