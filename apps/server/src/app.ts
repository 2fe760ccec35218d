import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import compression from 'compression';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import { downloadDataExport, exportContactsCsv, handleOAuthCallback, receiveProviderEvent, toTRPCError, tracingEnabled, type AppDeps } from '@bastion/api';
import type { PoolMonitor } from '@bastion/db';
import client from 'prom-client';
import { accessLog } from './access-log.ts';
import { admission } from './admission.ts';
import { earlyRateLimit } from './early-refusal.ts';
import { fixedHeaders } from './fixed-headers.ts';
import { apiDocsRoutes } from './api-docs.ts';
import { allowedOrigins, csrfGuard, hostGuard } from './guards.ts';
import { healthRoutes, readinessCheck } from './health.ts';
import { httpTracing } from './http-tracing.ts';
import { metricsHandler, type Metrics } from './metrics.ts';
import { requestId, requestIdOf } from './request-id.ts';
import { restHandler } from './rest-handler.ts';
import { trpcHandler } from './trpc-handler.ts';
import { cookieJar } from './cookies.ts';
import { trpcMetrics } from './trpc-metrics.ts';

export interface AppOptions {
  deps: AppDeps;
  metrics: Metrics;
  expectedMigration: number;
  isShuttingDown: () => boolean;
  pool: PoolMonitor;
  /** The built web app to serve, if any. */
  webDistDir?: string | undefined;
}

export function createApp({ deps, metrics, expectedMigration, isShuttingDown, pool, webDistDir }: AppOptions) {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);

  app.use(requestId);
  if (tracingEnabled()) app.use(httpTracing());
  app.use((_req, res, next) => {
    metrics.inFlight.inc();
    res.once('close', () => metrics.inFlight.dec());
    next();
  });
  app.use(accessLog(logger));
  // Helmet's headers depend on nothing in the request: computed once (fixed-headers.ts).
  app.use(
    fixedHeaders(
      helmet({
        contentSecurityPolicy: {
          useDefaults: false,
          directives: {
            defaultSrc: ["'self'"],
            scriptSrc: ["'self'"],
            styleSrc: ["'self'"],
            imgSrc: ["'self'", 'data:'],
            fontSrc: ["'self'"],
            connectSrc: ["'self'"],
            objectSrc: ["'none'"],
            baseUri: ["'self'"],
            formAction: ["'self'"],
            frameAncestors: ["'none'"],
            ...(config.isProduction ? { upgradeInsecureRequests: [] } : {}),
          },
        },
        strictTransportSecurity: config.isProduction ? { maxAge: 31_536_000, includeSubDomains: true } : false,
        crossOriginResourcePolicy: { policy: 'same-origin' },
      }),
    ),
  );

  const readiness = metrics.observeReadiness(readinessCheck({ sql: deps.sql, pool, expectedMigration, isShuttingDown }));
  app.use(healthRoutes({ sql: deps.sql, pool, expectedMigration, isShuttingDown, readiness }));
  app.get('/metrics', metricsHandler(config, metrics));
  // Health probes and scrapers address the instance by IP, so the Host check comes after them.
  app.use(hostGuard(config));

  const admitted = admission({ ...config.http.admission, onRejected: (why) => admissionRefusals.inc({ reason: why }) });
  new client.Gauge({
    name: 'bastion_http_admission',
    help: 'API calls being served (state="in_flight", at most HTTP_MAX_IN_FLIGHT) and waiting for a slot (state="queued")',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      const { inFlight, queued } = admitted.stats();
      this.set({ state: 'in_flight' }, inFlight);
      this.set({ state: 'queued' }, queued);
    },
  });
  const admissionRefusals = new client.Counter({
    name: 'bastion_http_admission_refusals_total',
    help: 'API calls answered 503 server_busy by admission control: the queue was full, or the call waited HTTP_QUEUE_TIMEOUT_MS',
    labelNames: ['reason'] as const,
    registers: [metrics.registry],
  });

  const origins = allowedOrigins(config);
  app.use(
    '/trpc',
    cors({
      // An unlisted origin (including "null") gets no CORS headers at all, so the browser blocks it.
      origin: (origin, callback) => callback(null, origin !== undefined && origins.has(origin)),
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'trpc-accept'],
      exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy', 'traceparent'],
      maxAge: 600,
    }),
    trpcMetrics(metrics),
    csrfGuard(config),
    earlyRateLimit(deps),
    admitted.handler,
    trpcHandler(deps),
  );

  // The contacts CSV download: a plain GET the browser saves (cookie), or a service fetches (bearer).
  app.get('/api/contacts/export.csv', (req, res, next) => {
    const request = { requestId: requestIdOf(req), ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, authorization: req.get('authorization') ?? null };
    exportContactsCsv(deps, request, cookieJar(req, res), req.query as Record<string, unknown>, res).catch(next);
  });

  // REST for services (bearer credentials only: no cookies, so no CSRF to guard against) and its
  // description. No CORS: browsers on other origins have no business here.
  app.use('/api/v1', admitted.handler, restHandler(deps));
  app.use(apiDocsRoutes());
  // The GDPR export's single-use download link (mailed by the export job): signed in as its owner.
  app.get('/account/export/:token', (req, res, next) => {
    const request = { requestId: requestIdOf(req), ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, authorization: req.get('authorization') ?? null };
    downloadDataExport(deps, request, cookieJar(req, res), String(req.params.token))
      .then((outcome) => {
        res.setHeader('cache-control', 'no-store');
        if (outcome.status === 200) {
          res.setHeader('content-type', 'application/zip');
          res.setHeader('content-disposition', 'attachment; filename="bastion-data-export.zip"');
          res.end(outcome.archive);
          return;
        }
        const reason = outcome.status === 401 ? 'unauthenticated' : 'not_found';
        const message = outcome.status === 401 ? 'Sign in to download your data, then open the link again.' : 'This download link is invalid, was already used or has expired.';
        res.status(outcome.status).json({ error: { message, data: { reason, httpStatus: outcome.status, requestId: requestIdOf(req) } } });
      })
      .catch((error: unknown) => {
        const mapped = toTRPCError(error);
        if (mapped.code === 'TOO_MANY_REQUESTS') {
          res.status(429).json({ error: { message: 'Too many requests', data: { reason: 'rate_limited', httpStatus: 429, requestId: requestIdOf(req) } } });
          return;
        }
        next(error);
      });
  });

  // Sign-in with an OpenID Connect provider: the provider's redirect back (a top-level GET from its
  // site, so no CORS or CSRF origin check applies; the state and its Lax cookie are the guard), and
  // its pushed security events (signed tokens, verified against the issuer's keys).
  const requestInfo = (req: express.Request) => ({ requestId: requestIdOf(req), ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, authorization: null });
  app.get('/auth/oauth/:provider/callback', (req, res, next) => {
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    handleOAuthCallback(deps, requestInfo(req), cookieJar(req, res), String(req.params.provider), query)
      .then(({ location }) => {
        res.setHeader('cache-control', 'no-store');
        res.redirect(302, location);
      })
      .catch(next);
  });
  app.post('/auth/oauth/:provider/events', express.text({ type: () => true, limit: '64kb' }), (req, res, next) => {
    receiveProviderEvent(deps, requestInfo(req), String(req.params.provider), typeof req.body === 'string' ? req.body : '')
      .then((outcome) => {
        if (outcome.status === 202) res.status(202).end();
        else res.status(outcome.status).json({ error: { message: 'The security event was not accepted.', data: { reason: outcome.reason, httpStatus: outcome.status, requestId: requestIdOf(req) } } });
      })
      .catch(next);
  });

  if (webDistDir && existsSync(path.join(webDistDir, 'index.html'))) {
    // Only the web app's files are compressed here: API responses are small and per-request
    // compression cost more CPU than the rest of a cheap call; a proxy in front compresses them if
    // its clients need it (ADR 050).
    app.use(compression());
    app.use(express.static(webDistDir, { index: false, maxAge: '1h', immutable: false }));
    const pages = knownPages(webDistDir);
    // The SPA's client-side routes; unknown API-ish paths still 404.
    app.get(/^\/(?!trpc|api|metrics|healthz|readyz|account\/export\/|auth\/oauth\/).*/, (req, res, next) => {
      if (!req.accepts('html')) return next();
      // Development-only pages (the mailbox) do not exist in production.
      if (config.isProduction && req.path.startsWith('/dev/')) return next();
      res.setHeader('cache-control', 'no-cache');
      // Any path that is no page of the app still gets the app (it shows its not-found page), with
      // the status that tells crawlers, monitors and link checkers the truth.
      if (pages && !pages.has(req.path)) res.status(404);
      res.sendFile(path.join(webDistDir, 'index.html'));
    });
  }

  app.use((req, res) => {
    res.status(404).json({ error: { message: 'Not found', data: { reason: 'not_found', httpStatus: 404, requestId: requestIdOf(req) } } });
  });

  const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
    if (status >= 500) logger.error({ err: error, requestId: requestIdOf(req) }, 'unhandled error');
    const reason = status === 413 ? 'payload_too_large' : status === 400 ? 'malformed_request' : status === 415 ? 'unsupported_media_type' : 'internal_error';
    const message = status === 413 ? 'The request body is too large.' : status < 500 ? 'The request could not be read.' : 'Internal server error';
    res.status(status).json({ error: { message, data: { reason, httpStatus: status, requestId: requestIdOf(req) } } });
  };
  app.use(errorHandler);
  return app;
}

/** The page paths the web build lists in routes.json; null for a build without the list (every path is then served as a page). */
function knownPages(webDistDir: string): ReadonlySet<string> | null {
  const file = path.join(webDistDir, 'routes.json');
  if (!existsSync(file)) return null;
  const paths: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(paths) || !paths.every((entry) => typeof entry === 'string')) throw new Error(`${file} is not a list of paths`);
  return new Set(paths);
}
