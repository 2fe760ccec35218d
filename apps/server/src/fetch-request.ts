import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { incomingMessageToRequest } from '@trpc/server/adapters/node-http';

/**
 * The part of a Fetch `Request` that tRPC's `resolveResponse` reads (11.x: `method`, `url`,
 * `headers.get/has`, `signal`, and `json()` for a JSON body), taken straight from Node's request.
 *
 * The stock conversion (`incomingMessageToRequest`) builds an undici `Request` and `Headers` for
 * every call and aborts its signal on every `close`, after a finished answer too: a `DOMException`
 * and an abort event per request, about a tenth of a cheap call's CPU (ADR 050). Here the signal
 * aborts only when the client leaves before its answer is complete (a closed SSE stream, a dropped
 * connection), and a POST that is not JSON (multipart, octet-stream) still gets the stock `Request`.
 * tRPC is pinned to one version (`pnpm check:trpc`); fetch-request.test.ts runs every kind of call
 * through this object.
 */
export function toFetchRequest(req: IncomingMessage, res: ServerResponse, maxBodySize: number): Request {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && !isJson(req.headers['content-type'])) return incomingMessageToRequest(req, res, { maxBodySize });
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return new NodeFetchRequest(req, method, controller.signal, maxBodySize) as unknown as Request;
}

const isJson = (contentType: string | undefined) => contentType?.startsWith('application/json') ?? false;

class NodeFetchRequest {
  readonly method: string;
  // The origin is never read: tRPC parses `url` for the query string only.
  readonly url: string;
  readonly headers: NodeHeaders;
  readonly signal: AbortSignal;
  readonly #req: IncomingMessage;
  readonly #maxBodySize: number;

  constructor(req: IncomingMessage, method: string, signal: AbortSignal, maxBodySize: number) {
    this.method = method;
    this.url = `http://localhost${req.url ?? '/'}`;
    this.headers = new NodeHeaders(req.headers);
    this.signal = signal;
    this.#req = req;
    this.#maxBodySize = maxBodySize;
  }

  async json(): Promise<unknown> {
    // A body already read or set upstream (csrfGuard reads an empty POST as `{}`), as the stock adapter honours it.
    const preset = (this.#req as { body?: unknown }).body;
    if (preset !== undefined) return typeof preset === 'string' ? (JSON.parse(preset) as unknown) : preset;
    return JSON.parse(await readBody(this.#req, this.#maxBodySize)) as unknown;
  }
}

/** `Headers.get`/`has` over Node's lower-cased header object, without copying it. */
class NodeHeaders {
  readonly #raw: IncomingHttpHeaders;
  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }
  get(name: string): string | null {
    const value = this.#raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
  has(name: string): boolean {
    return this.#raw[name.toLowerCase()] !== undefined;
  }
}

/** The body as UTF-8 text; more than `maxBodySize` bytes is PAYLOAD_TOO_LARGE (413), as in the stock adapter. */
function readBody(req: IncomingMessage, maxBodySize: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodySize) {
        detach();
        reject(new TRPCError({ code: 'PAYLOAD_TOO_LARGE' }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error) => {
      detach();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
