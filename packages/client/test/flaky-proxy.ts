import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Action =
  | 'forward'
  /** Never answer; the call's `closedByClient` settles when the client gives up. */
  | 'hang'
  /** Destroy the connection before anything reaches the server (a network failure). */
  | 'reset'
  /** Forward, let the server act, then destroy the connection instead of relaying the answer. */
  | 'forward-then-reset'
  | { status: number; headers?: Record<string, string>; body?: string };

export interface ProxiedCall {
  method: string;
  /** The tRPC procedure path, e.g. `contacts.list`. */
  procedure: string;
  headers: IncomingHttpHeaders;
  /** performance.now() when the request arrived. */
  arrivedAt: number;
  /** The status the client was sent (scripted or the server's), once known. */
  status?: number;
  /** The `Retry-After` the client was sent, if any. */
  retryAfter?: string;
  /** Settles when the client closes the connection before any answer was sent. */
  closedByClient: Promise<void>;
}

/** Decides per request; `nth` counts earlier requests for the same procedure (0 for the first). */
export type Script = (call: ProxiedCall, nth: number) => Action;

/**
 * A real node:http reverse proxy in front of the real server, scripted per request (answer 503
 * N times, hang, reset, …), which records every request it received: the server-side count
 * the retry tests assert on.
 */
export async function startFlakyProxy(target: string) {
  const upstream = new URL(target);
  const calls: ProxiedCall[] = [];
  let script: Script = () => 'forward';
  const arrivals = new Set<(call: ProxiedCall) => void>();

  const server = http.createServer((req, res) => {
    const procedure = new URL(req.url ?? '/', 'http://proxy').pathname.replace(/^\/trpc\//, '');
    let markClosed!: () => void;
    const call: ProxiedCall = {
      method: req.method ?? 'GET',
      procedure,
      headers: req.headers,
      arrivedAt: performance.now(),
      closedByClient: new Promise<void>((resolve) => (markClosed = resolve)),
    };
    res.on('close', () => {
      if (!res.writableFinished) markClosed();
    });
    const nth = calls.filter((earlier) => earlier.procedure === procedure).length;
    calls.push(call);
    const action = script(call, nth);
    for (const notify of arrivals) notify(call);

    if (action === 'hang') return;
    if (action === 'reset') {
      req.socket.destroy();
      return;
    }
    if (typeof action === 'object') {
      req.resume();
      res.writeHead(action.status, { 'content-type': 'text/plain', ...action.headers });
      call.status = action.status;
      call.retryAfter = action.headers?.['retry-after'];
      res.end(action.body ?? `scripted ${action.status}`);
      return;
    }
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        if (action === 'forward-then-reset') {
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        call.status = answer.statusCode;
        call.retryAfter = answer.headers['retry-after'];
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    /** Requests received for one procedure. */
    callsTo: (procedure: string) => calls.filter((call) => call.procedure === procedure),
    script: (next: Script) => {
      script = next;
    },
    /** Resolves with the next request that arrives for `procedure`. */
    nextArrival: (procedure: string) =>
      new Promise<ProxiedCall>((resolve) => {
        const notify = (call: ProxiedCall) => {
          if (call.procedure !== procedure) return;
          arrivals.delete(notify);
          resolve(call);
        };
        arrivals.add(notify);
      }),
    reset: () => {
      calls.length = 0;
      script = () => 'forward';
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FlakyProxy = Awaited<ReturnType<typeof startFlakyProxy>>;
