import type { RequestHandler } from 'express';
import { earlyRefusals, type AppDeps } from '@bastion/api';
import { requestIdOf } from './request-id.ts';

/**
 * Answers a call from an address the limiters already refuse before tRPC sees it (the rate-limit
 * module's earlyRefusals: the same 429, headers and body): the cheapest answer the API gives.
 * Single calls only; a batch or a subscription goes to tRPC, where each call gets its own answer.
 */
export function earlyRateLimit(deps: Pick<AppDeps, 'config' | 'rateLimiters'>): RequestHandler {
  const refusal = earlyRefusals(deps);
  return (req, res, next) => {
    const path = req.path.slice(1);
    if (path.includes(',') || req.url.includes('batch=') || req.get('accept')?.includes('text/event-stream')) return next();
    const refused = refusal(path, req.method, req.ip ?? null, requestIdOf(req));
    if (!refused) return next();
    res.statusCode = 429;
    for (const [name, value] of Object.entries(refused.headers)) res.setHeader(name, value);
    res.setHeader('content-type', 'application/json');
    res.setHeader('vary', 'trpc-accept, accept');
    res.end(JSON.stringify(refused.body));
  };
}
