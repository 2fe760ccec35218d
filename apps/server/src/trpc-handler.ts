import type { RequestHandler, Request as ExpressRequest, Response as ExpressResponse } from 'express';
import { internal_exceptionHandler } from '@trpc/server/adapters/node-http';
import { resolveResponse } from '@trpc/server/http';
import { appRouter, createContextInner, toTRPCError, type AppDeps } from '@bastion/api';
import { requestIdOf } from './request-id.ts';
import { cookieJar } from './cookies.ts';
import { toFetchRequest } from './fetch-request.ts';

/**
 * tRPC over Express through `resolveResponse` (the adapter API `@trpc/server/http` offers), with a
 * lean request (fetch-request.ts) and a lean writer: a JSON answer is written in one `end()` from
 * its body string (JSONAnswer) and a stream (batch stream, SSE) chunk by chunk from its reader, where the stock adapter pipes every
 * answer through a WHATWG WritableStream and spreads its options at each step (ADR 050).
 */
export function trpcHandler(deps: AppDeps): RequestHandler {
  const options = {
    router: appRouter,
    maxBatchSize: deps.config.http.maxBatchSize,
    createContext: ({ req, res }: { req: ExpressRequest; res: ExpressResponse }) =>
      createContextInner({
        deps,
        request: {
          requestId: requestIdOf(req),
          ip: req.ip ?? null,
          userAgent: req.get('user-agent') ?? null,
          authorization: req.get('authorization') ?? null,
        },
        cookies: cookieJar(req, res),
        responseHeaders: { set: (name, value) => res.setHeader(name, value) },
      }),
    onError: ({ error: raised, path, ctx }: { error: unknown; path?: string; ctx?: { log: AppDeps['logger'] } }) => {
      // Errors raised while a subscription streams reach here unmapped, as procedures' never do.
      const error = toTRPCError(raised);
      const log = ctx?.log ?? deps.logger;
      if (error.code === 'INTERNAL_SERVER_ERROR' || error.code === 'SERVICE_UNAVAILABLE' || error.code === 'TIMEOUT') {
        log.error({ err: error.cause ?? error, path, trpcCode: error.code }, 'procedure failed');
      } else {
        // The access log has the status of every refusal already; reasons are for debugging.
        log.debug({ path, trpcCode: error.code, reason: (error as { reason?: string }).reason }, 'procedure refused');
      }
    },
  };
  const maxBodySize = deps.config.http.bodyLimitBytes;

  return (req, res) => {
    const path = req.path.slice(req.path.lastIndexOf('/') + 1);
    handle(req, res, path).catch(internal_exceptionHandler({ ...options, req, res, path }));
  };

  async function handle(req: ExpressRequest, res: ExpressResponse, path: string): Promise<void> {
    const request = toFetchRequest(req, res, maxBodySize);
    const resolveOptions: ResolveOptions & JSONAnswerOption = {
      router: options.router,
      maxBatchSize: options.maxBatchSize,
      req: request,
      path,
      error: null,
      createContext: () => Promise.resolve(options.createContext({ req, res })),
      onError: options.onError,
      jsonAnswer,
    };
    const response: Response | JSONAnswer = await resolveResponse(resolveOptions);
    if (response instanceof JSONAnswer) writeJSONAnswer(response, res);
    else await writeResponse(response, res, request.signal);
  }
}

type ResolveOptions = Parameters<typeof resolveResponse>[0];

/**
 * A JSON answer as our patch of `resolveResponse` hands it over (patches/@trpc__server…, ADR 050):
 * the body string itself, where a Fetch `Response` would encode it into a stream that is read back
 * and decoded again. Streams (batch streams, SSE) still come as a `Response`.
 */
export class JSONAnswer {
  readonly body: string;
  readonly status: number;
  readonly headers: Headers;
  constructor(body: string, status: number, headers: Headers) {
    this.body = body;
    this.status = status;
    this.headers = headers;
  }
}

export interface JSONAnswerOption {
  jsonAnswer(body: string, status: number, headers: Headers): JSONAnswer;
}

const jsonAnswer: JSONAnswerOption['jsonAnswer'] = (body, status, headers) => new JSONAnswer(body, status, headers);

function copyHeaders(headers: Headers, res: ExpressResponse): void {
  headers.forEach((value, key) => {
    if (key !== 'set-cookie') res.setHeader(key, value); // set by the cookie jar on `res`; Headers would merge them
  });
}

function writeJSONAnswer(answer: JSONAnswer, res: ExpressResponse): void {
  if (res.statusCode === 200) res.statusCode = answer.status;
  copyHeaders(answer.headers, res);
  res.end(answer.body);
}

async function writeResponse(response: Response, res: ExpressResponse, signal: AbortSignal): Promise<void> {
  if (res.statusCode === 200) res.statusCode = response.status;
  copyHeaders(response.headers, res);
  const streamed = !response.headers.get('content-type')?.startsWith('application/json');
  try {
    if (!response.body) return;
    if (!streamed) {
      res.end(await response.text());
      return;
    }
    const reader = response.body.getReader();
    const cancel = () => void reader.cancel().catch(() => {});
    signal.addEventListener('abort', cancel, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || signal.aborted) break;
        if (!res.write(value)) await drained(res, signal);
      }
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  } catch (error) {
    if (signal.aborted) return;
    if (!res.headersSent) res.statusCode = 500;
    throw error;
  } finally {
    if (!res.writableEnded) res.end();
  }
}

function drained(res: ExpressResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
