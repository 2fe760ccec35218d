import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type postgres from 'postgres';

/**
 * Set once when tracing starts (ADR 110); while unset, statements create no spans and pay only
 * this one check. postgres.js has no OpenTelemetry instrumentation, so the pool wrapper makes them.
 */
let tracer: Tracer | undefined;

export function traceStatements(next: Tracer | undefined): void {
  tracer = next;
}

/** A statement's span goes under the caller's span; pool chatter outside any request or job makes none. */
export function statementTracer(): Tracer | undefined {
  return tracer && trace.getSpan(context.active()) ? tracer : undefined;
}

const MAX_TEXT = 2_000;

/** The SQL as postgres.js will send it: tagged templates get `$n` placeholders, values are never included. */
export function statementText(query: { strings?: readonly string[] | string; tagged?: boolean }): string {
  const strings = query.strings;
  if (typeof strings === 'string') return strings.slice(0, MAX_TEXT);
  if (!strings) return '';
  const text = query.tagged ? strings.reduce((sql, part, index) => `${sql}$${index}${part}`) : (strings[0] ?? '');
  return text.slice(0, MAX_TEXT);
}

function operationOf(text: string): string {
  const match = /^\s*([A-Za-z]+)/.exec(text);
  return match ? match[1]!.toUpperCase() : 'SQL';
}

export function startStatementSpan(active: Tracer, text: string): Span {
  const operation = operationOf(text);
  return active.startSpan(operation, {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': text },
  });
}

export function startTransactionSpan(active: Tracer): Span {
  return active.startSpan('transaction', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.operation.name': 'BEGIN' } });
}

/** Ends `span` when `operation` settles; a failure records only the SQLSTATE, never the driver's message (it may carry values). */
export async function inSpan<T>(span: Span, operation: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), operation);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', typeof code === 'string' ? code : error instanceof Error ? error.name : 'error');
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) span.setAttribute('db.response.status_code', code);
    throw error;
  } finally {
    span.end();
  }
}

type PendingQuery = postgres.PendingQuery<postgres.Row[]>;

/**
 * A statement inside a transaction (already admitted by the gate): its `then` runs in a span under
 * the transaction's. The query object is kept (callers chain `.values()`), as the gate does.
 */
export function tracedQuery(query: PendingQuery): PendingQuery {
  const active = statementTracer();
  if (!active) return query;
  const text = statementText(query as never);
  const execute = query.then.bind(query);
  let settled: Promise<unknown> | undefined;
  const then = (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) =>
    (settled ??= inSpan(startStatementSpan(active, text), () => new Promise((resolve, reject) => void execute(resolve, reject)))).then(onFulfilled, onRejected);
  Object.defineProperties(query, {
    then: { value: then },
    catch: { value: (onRejected?: (reason: unknown) => unknown) => then(undefined, onRejected) },
    finally: {
      value: (onFinally?: () => void) =>
        then(
          (value) => (onFinally?.(), value),
          (reason) => {
            onFinally?.();
            throw reason;
          },
        ),
    },
  });
  return query;
}
