import type { RequestHandler } from 'express';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { requestIdOf } from './request-id.ts';

/** Probes and scrapes would be most of the traces and say nothing. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/** A bounded route name: paths can hold ids and tokens (`/account/export/:token`), spans must not. */
function routeOf(path: string): string {
  if (path.startsWith('/trpc')) return '/trpc';
  if (path.startsWith('/api/v1')) return '/api/v1';
  if (path.startsWith('/account/export/')) return '/account/export/:token';
  if (path.startsWith('/api')) return '/api';
  return '/';
}

const headerGetter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get: (carrier: Record<string, unknown>, key: string) => carrier[key] as string | string[] | undefined,
};

/**
 * The SERVER span of each request (ADR 110), continuing the caller's `traceparent` if it sent one,
 * and this span's `traceparent` on the response so a client can quote its trace. Procedures,
 * statements and outgoing calls are its children. Mounted only while tracing is on.
 */
export function httpTracing(): RequestHandler {
  const tracer = trace.getTracer('bastion');
  return (req, res, next) => {
    if (UNTRACED.has(req.path)) return next();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers, headerGetter);
    const route = routeOf(req.path);
    const span = tracer.startSpan(
      `${req.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route, 'bastion.request_id': requestIdOf(req) } },
      parent,
    );
    const { traceId, spanId, traceFlags } = span.spanContext();
    res.setHeader('traceparent', `00-${traceId}-${spanId}-0${traceFlags & 1}`);
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!res.writableFinished) span.setAttribute('error.type', 'aborted');
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
