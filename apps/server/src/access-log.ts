import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { requestIdOf } from './request-id.ts';

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Paths that carry a credential (the data-export download token) are logged without it. */
const loggedPath = (path: string) => (path.startsWith('/account/export/') ? '/account/export/:token' : path);

/**
 * One line per request when it ends, at a level by outcome. pino-http built a child logger and ran
 * its serializers for every request, which cost ~10% of a cheap call's CPU; this writes the same
 * fields from one shared logger, and nothing at all when the level is off.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (QUIET_PATHS.has(req.path) || !logger.isLevelEnabled('info')) return next();
    const startedAt = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      const fields = {
        requestId: requestIdOf(req),
        req: { method: req.method, path: loggedPath(req.path) },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - startedAt),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      logger[level](fields, res.writableFinished ? 'request completed' : 'request aborted');
    });
    next();
  };
}
