import type { RequestHandler } from 'express';
import { appRouter } from '@bastion/api';
import type { Metrics } from './metrics.ts';

/**
 * Observes every /trpc request, also those refused before a procedure runs. Only known procedure
 * names become labels: a path from the URL must not create unbounded metric series.
 */
export function trpcMetrics(metrics: Metrics): RequestHandler {
  const known = new Set(Object.keys(appRouter._def.procedures));
  return (req, res, next) => {
    const startedAt = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const type = req.method === 'GET' ? 'query' : 'mutation';
      for (const path of req.path.replace(/^\//, '').split(',')) {
        metrics.requestDuration.observe({ procedure: known.has(path) ? path : 'unknown', type, code: String(res.statusCode) }, seconds);
      }
    });
    next();
  };
}
