import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { runInRequestScope } from '@bastion/api';

/** Accepted from a caller only when it cannot smuggle anything into logs or headers. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  req.id = incoming && WELL_FORMED.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', req.id);
  runInRequestScope(req.id, next);
};

/** pino-http types `req.id` loosely; ours is always the string set above. */
export function requestIdOf(req: Request): string {
  return String(req.id);
}
