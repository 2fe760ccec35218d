import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { requestIdOf } from './request-id.ts';

export interface AdmissionOptions {
  /** API calls served at once; the rest wait in arrival order. */
  maxInFlight: number;
  /** Calls that may wait; one more is answered 503 `server_busy` at once. */
  maxQueued: number;
  /** A call that waited this long is answered 503 `server_busy` instead of being served late. */
  queueTimeoutMs: number;
  onRejected?: (why: 'queue_full' | 'queue_timeout') => void;
}

export interface Admission {
  handler: RequestHandler;
  stats(): { inFlight: number; queued: number };
}

interface Waiting {
  req: Request;
  res: Response;
  next: NextFunction;
  since: number;
}

/**
 * Admission control for the API, in the manner of HAProxy's `maxconn` and `timeout queue`: at most
 * `maxInFlight` calls run at once and the rest wait, in order, holding nothing but their socket.
 * A thousand open connections otherwise become a thousand calls in progress at once, each with its
 * context, promises and buffers alive, all waiting for the same ten pool connections: the heap
 * grows, the garbage collector copies every survivor, and a call that waited longer than
 * DB_POOL_ACQUIRE_TIMEOUT_MS for the pool fails with 503 `database_busy` after having cost its CPU.
 * Waiting here costs neither; a call that waits past `queueTimeoutMs`, or finds the queue full, is
 * answered 503 `server_busy` with Retry-After before any work. Subscriptions (SSE) last as long
 * as the client stays, so they are not counted (ADR 052).
 */
export function admission(options: AdmissionOptions): Admission {
  let inFlight = 0;
  const queue: Waiting[] = [];
  let head = 0; // the queue is consumed from `head`, compacted now and then, not shifted per call
  let sweep: NodeJS.Timeout | undefined;

  const queued = () => queue.length - head;

  const refuse = (req: Request, res: Response, why: 'queue_full' | 'queue_timeout') => {
    options.onRejected?.(why);
    if (res.headersSent || res.destroyed) return;
    res.setHeader('retry-after', '1');
    res.status(503).json({
      error: {
        message: 'The server is busy. Try again in a moment.',
        code: TRPC_ERROR_CODES_BY_KEY.SERVICE_UNAVAILABLE,
        data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503, reason: 'server_busy', requestId: requestIdOf(req), retryAfterSeconds: 1 },
      },
    });
  };

  const start = (req: Request, res: Response, next: NextFunction) => {
    inFlight++;
    res.once('close', release);
    next();
  };

  function release() {
    inFlight--;
    // A call whose client left while it waited is dropped, not served.
    while (inFlight < options.maxInFlight && queued() > 0) {
      const waiting = queue[head]!;
      queue[head++] = undefined as unknown as Waiting;
      if (!waiting.res.destroyed) start(waiting.req, waiting.res, waiting.next);
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (queued() === 0) stopSweep();
  }

  const expire = () => {
    const deadline = performance.now() - options.queueTimeoutMs;
    while (queued() > 0 && queue[head]!.since <= deadline) {
      const waiting = queue[head]!;
      queue[head++] = undefined as unknown as Waiting;
      refuse(waiting.req, waiting.res, 'queue_timeout');
    }
    if (queued() === 0) stopSweep();
  };
  const stopSweep = () => {
    if (sweep) clearInterval(sweep);
    sweep = undefined;
  };

  const handler: RequestHandler = (req, res, next) => {
    if (req.get('accept')?.includes('text/event-stream')) return next();
    if (inFlight < options.maxInFlight) {
      start(req, res, next);
    } else if (queued() >= options.maxQueued) {
      return refuse(req, res, 'queue_full');
    } else {
      queue.push({ req, res, next, since: performance.now() });
      sweep ??= setInterval(expire, Math.max(10, Math.min(250, options.queueTimeoutMs / 4))).unref();
    }
  };

  return {
    handler,
    stats: () => ({ inFlight, queued: queued() }),
  };
}
