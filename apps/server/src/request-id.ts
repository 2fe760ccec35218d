import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { runInRequestScope } from '@bastion/api';

const ids = new WeakMap<Request, string>();

/** Accepted from a caller only when it cannot smuggle anything into logs or headers. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const id = incoming && WELL_FORMED.test(incoming) ? incoming : randomUUID();
  ids.set(req, id);
  res.setHeader('x-request-id', id);
  runInRequestScope(id, next);
};

/** Every request passed `requestId` first; one that did not (a test app) gets a fresh id. */
export function requestIdOf(req: Request): string {
  return ids.get(req) ?? randomUUID();
}
