import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { coerceSchema, createOpenApiNodeHttpHandler, getInputOutputParsers, unwrapZodType, type OpenApiRouter } from 'trpc-to-openapi';
import type { ZodObject } from 'zod';
import { createContextInner, noCookies, type AppDeps, type RequestInfo } from '../context.ts';
import { toTRPCError } from '../errors/to-trpc-error.ts';
import { VALIDATION_MESSAGE } from '../errors/error-formatter.ts';
import { appRouter } from '../root.ts';
import { restOperations } from './document.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * trpc-to-openapi turns GET query strings into numbers and booleans by switching `coerce` on in the
 * input schemas themselves, lazily, on the first REST call. Doing it for every GET operation at
 * start keeps tRPC's behaviour the same before and after that call (both then coerce).
 */
function coerceQueryInputs(): void {
  const procedures = appRouter._def.procedures as unknown as Record<string, unknown>;
  for (const operation of restOperations()) {
    if (operation.method !== 'get' && operation.method !== 'delete') continue;
    const { inputParser } = getInputOutputParsers(procedures[operation.procedure] as Parameters<typeof getInputOutputParsers>[0]);
    const input = unwrapZodType(inputParser as never, true) as unknown as ZodObject;
    if (input?._zod?.def?.type === 'object') coerceSchema(input as never);
  }
}

/**
 * The library answers errors as `{ ...errorShape, code: 'FORBIDDEN', issues }`: rebuilt here into
 * exactly what tRPC sends, `{ error: { message, code, data } }`, from the shape our formatter made
 * (no stack, no SQL, the request id, field errors). Its `issues` (raw zod issues) are dropped.
 */
export function toRestErrorBody(raw: string): string {
  let body: { message?: unknown; data?: { code?: string; stack?: unknown } & Record<string, unknown> };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    return raw;
  }
  if (!body || typeof body !== 'object' || !body.data) return raw;
  const { stack: _stack, ...data } = body.data;
  const code = TRPC_ERROR_CODES_BY_KEY[(data.code ?? 'INTERNAL_SERVER_ERROR') as keyof typeof TRPC_ERROR_CODES_BY_KEY] ?? -32603;
  // The library replaces a validation failure's message with its own wording.
  const message = data.reason === 'validation_failed' ? VALIDATION_MESSAGE : body.message;
  return JSON.stringify({ error: { message, code, data } });
}

/**
 * `/api/v1/*`: the procedures with `meta.openapi`, called through the same router (so the same
 * authentication, scopes, rate limits, validation and error formatter). Only bearer credentials
 * count here — the context has no cookies — so a page cannot make a signed-in browser call REST
 * (CSRF), and a cookie-only call is 401. Mount it under its own prefix: it never calls `next()`.
 */
export function createRestHandler(deps: AppDeps, requestOf: (req: IncomingMessage) => RequestInfo): Handler {
  coerceQueryInputs();
  const handler = createOpenApiNodeHttpHandler({
    router: appRouter as unknown as OpenApiRouter,
    maxBodySize: deps.config.http.bodyLimitBytes,
    createContext: ({ req, res }: { req: IncomingMessage; res: ServerResponse }) =>
      createContextInner({ deps, request: requestOf(req), cookies: noCookies, responseHeaders: { set: (name, value) => res.setHeader(name, value) } }),
    onError: ({ error: raised, path }: { error: unknown; path?: string }) => {
      const error = toTRPCError(raised);
      if (error.code === 'INTERNAL_SERVER_ERROR' || error.code === 'SERVICE_UNAVAILABLE' || error.code === 'TIMEOUT') {
        deps.logger.error({ err: error.cause ?? error, path, trpcCode: error.code, transport: 'rest' }, 'procedure failed');
      }
    },
  } as never) as unknown as (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  return async (req, res) => {
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    res.end = ((chunk?: unknown) => end(res.statusCode >= 400 && typeof chunk === 'string' ? toRestErrorBody(chunk) : chunk)) as typeof res.end;
    await handler(req, res);
  };
}
