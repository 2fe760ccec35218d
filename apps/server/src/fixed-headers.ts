import type { Request, RequestHandler, Response } from 'express';

/**
 * Runs a middleware whose headers never depend on the request (helmet with static directives) once,
 * at start-up, against a recording response; every request then gets the recorded headers. Helmet
 * itself walks twelve functions and rebuilds its Content-Security-Policy string per request.
 */
export function fixedHeaders(middleware: RequestHandler): RequestHandler {
  const set: [string, string][] = [];
  const removed: string[] = [];
  let finished = false;
  const recorder = {
    setHeader(name: string, value: number | string | readonly string[]) {
      set.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  void middleware({ headers: {} } as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  // A middleware that needs the request, or answers later, cannot be recorded: refuse at start-up.
  if (!finished) throw new Error('fixedHeaders: the middleware did not call next() synchronously');
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}
