import diagnostics from 'node:diagnostics_channel';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

/** What undici publishes of a request (Node's fetch and the undici package publish the same channels). */
interface UndiciRequest {
  origin: string | URL;
  method: string;
  addHeader(name: string, value: string): unknown;
}

/**
 * A CLIENT span for each outgoing undici/fetch request made under a span (the assistant upstream,
 * webhook deliveries, OIDC), with `traceparent` added to the request. undici reports requests on
 * diagnostics channels, so no module is patched; with nothing subscribed they cost nothing. The
 * URL's path and query stay out of the span: webhook and callback URLs can carry credentials.
 */
export function traceOutgoingRequests(): () => void {
  const tracer = trace.getTracer('bastion');
  const spans = new WeakMap<UndiciRequest, Span>();

  const onCreate = (message: unknown) => {
    const { request } = message as { request: UndiciRequest };
    const parent = context.active();
    if (!trace.getSpan(parent)) return;
    const origin = new URL(String(request.origin));
    const span = tracer.startSpan(
      request.method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': request.method,
          'server.address': origin.hostname,
          'server.port': Number(origin.port) || (origin.protocol === 'https:' ? 443 : 80),
          'url.scheme': origin.protocol.slice(0, -1),
        },
      },
      parent,
    );
    spans.set(request, span);
    propagation.inject(trace.setSpan(parent, span), request, { set: (carrier, name, value) => void carrier.addHeader(name, value) });
  };
  const onHeaders = (message: unknown) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  const onError = (message: unknown) => {
    const { request, error } = message as { request: UndiciRequest; error: unknown };
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    span.setAttribute('error.type', error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'error');
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  diagnostics.subscribe('undici:request:create', onCreate);
  diagnostics.subscribe('undici:request:headers', onHeaders);
  diagnostics.subscribe('undici:request:error', onError);
  return () => {
    diagnostics.unsubscribe('undici:request:create', onCreate);
    diagnostics.unsubscribe('undici:request:headers', onHeaders);
    diagnostics.unsubscribe('undici:request:error', onError);
  };
}
