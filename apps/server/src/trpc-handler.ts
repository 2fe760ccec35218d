import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { appRouter, createContextInner, type AppDeps } from '@bastion/api';
import { requestIdOf } from './request-id.ts';
import { cookieJar } from './cookies.ts';
import type { Metrics } from './metrics.ts';

export function trpcHandler(deps: AppDeps, metrics: Metrics) {
  // Label only known procedures: a path from the URL must not create unbounded metric series.
  const known = new Set(Object.keys(appRouter._def.procedures));
  return createExpressMiddleware({
    router: appRouter,
    maxBatchSize: deps.config.http.maxBatchSize,
    maxBodySize: deps.config.http.bodyLimitBytes,
    createContext: ({ req, res }) => {
      const startedAt = process.hrtime.bigint();
      res.once('finish', () => {
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        const procedures = req.path.replace(/^\//, '').split(',');
        for (const procedure of procedures) {
          metrics.requestDuration.observe({ procedure: known.has(procedure) ? procedure : 'unknown', type: req.method === 'GET' ? 'query' : 'mutation', code: String(res.statusCode) }, seconds);
        }
      });
      return createContextInner({
        deps,
        request: {
          requestId: requestIdOf(req),
          ip: req.ip ?? null,
          userAgent: req.get('user-agent') ?? null,
          authorization: req.get('authorization') ?? null,
        },
        cookies: cookieJar(req, res),
      });
    },
    onError: ({ error, path, ctx }) => {
      const log = ctx?.log ?? deps.logger;
      if (error.code === 'INTERNAL_SERVER_ERROR' || error.code === 'SERVICE_UNAVAILABLE' || error.code === 'TIMEOUT') {
        log.error({ err: error.cause ?? error, path, trpcCode: error.code }, 'procedure failed');
      } else {
        log.info({ path, trpcCode: error.code, reason: (error as { reason?: string }).reason }, 'procedure refused');
      }
    },
  });
}
