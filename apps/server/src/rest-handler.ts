import type { Request, RequestHandler } from 'express';
import { createRestHandler, type AppDeps } from '@bastion/api';
import { requestIdOf } from './request-id.ts';

/** `/api/v1/*`: the REST form of the procedures (packages/api/src/openapi). */
export function restHandler(deps: AppDeps): RequestHandler {
  const handle = createRestHandler(deps, (incoming) => {
    const req = incoming as Request;
    return {
      requestId: requestIdOf(req),
      ip: req.ip ?? null,
      userAgent: req.get('user-agent') ?? null,
      authorization: req.get('authorization') ?? null,
    };
  });
  return (req, res, next) => {
    handle(req, res).catch(next);
  };
}
