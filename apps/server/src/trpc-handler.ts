import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { appRouter, createContextInner, toTRPCError, type AppDeps } from '@bastion/api';
import { requestIdOf } from './request-id.ts';
import { cookieJar } from './cookies.ts';

export function trpcHandler(deps: AppDeps) {
  return createExpressMiddleware({
    router: appRouter,
    maxBatchSize: deps.config.http.maxBatchSize,
    maxBodySize: deps.config.http.bodyLimitBytes,
    createContext: ({ req, res }) => {
      return createContextInner({
        deps,
        request: {
          requestId: requestIdOf(req),
          ip: req.ip ?? null,
          userAgent: req.get('user-agent') ?? null,
          authorization: req.get('authorization') ?? null,
        },
        cookies: cookieJar(req, res),
        responseHeaders: { set: (name, value) => res.setHeader(name, value) },
      });
    },
    onError: ({ error: raised, path, ctx }) => {
      // Errors raised while a subscription streams reach here unmapped, as procedures' never do.
      const error = toTRPCError(raised);
      const log = ctx?.log ?? deps.logger;
      if (error.code === 'INTERNAL_SERVER_ERROR' || error.code === 'SERVICE_UNAVAILABLE' || error.code === 'TIMEOUT') {
        log.error({ err: error.cause ?? error, path, trpcCode: error.code }, 'procedure failed');
      } else {
        // The access log has the status of every refusal already; reasons are for debugging.
        log.debug({ path, trpcCode: error.code, reason: (error as { reason?: string }).reason }, 'procedure refused');
      }
    },
  });
}
