import type { RequestHandler } from 'express';
import { cookieNames, type AppConfig } from '@bastion/api';
import { hasCookie } from './cookies.ts';
import { requestIdOf } from './request-id.ts';

function reject(res: Parameters<RequestHandler>[1], status: number, reason: string, message: string, requestId: string) {
  res.status(status).json({ error: { message, code: status === 415 ? -32600 : -32003, data: { reason, httpStatus: status, requestId } } });
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** A body must be declared JSON; a bodiless POST (a mutation without input) has no type to check. */
function isJsonOrEmpty(req: Parameters<RequestHandler>[0]): boolean {
  const type = req.get('content-type');
  if (type !== undefined) return JSON_TYPE.test(type);
  return !req.get('transfer-encoding') && Number(req.get('content-length') ?? 0) === 0;
}

/** The origins allowed to call the API from a browser: the app itself plus CORS_ORIGINS. */
export function allowedOrigins(config: AppConfig): Set<string> {
  return new Set([config.http.appOrigin, ...config.http.corsOrigins]);
}

/**
 * CSRF defence for the cookie-authenticated API, on top of SameSite cookies:
 * - every POST body must be `application/json`, which no HTML form or "simple" cross-site request can
 *   send without a CORS preflight (that the CORS allow-list then refuses);
 * - a request carrying an Origin (a POST, or an EventSource subscription) must come from an allowed origin;
 * - a POST carrying our auth cookies must carry an allowed Origin.
 */
export function csrfGuard(config: AppConfig): RequestHandler {
  const origins = allowedOrigins(config);
  const names = cookieNames(config.auth);
  const authCookies = [names.access, names.refresh];
  return (req, res, next) => {
    const origin = req.get('origin');
    const sameOrigin = origin !== undefined && origin === `${req.protocol}://${req.get('host')}`;
    const foreignOrigin = origin !== undefined && !origins.has(origin) && !sameOrigin;
    const refuseOrigin = () => reject(res, 403, 'origin_not_allowed', 'This origin may not call the API.', requestIdOf(req));
    if (req.method !== 'POST') {
      // A subscription is a GET with effects, and an EventSource sends cookies and an Origin cross-site.
      return foreignOrigin ? refuseOrigin() : next();
    }
    if (!isJsonOrEmpty(req)) {
      return reject(res, 415, 'unsupported_media_type', 'Requests must be sent as application/json.', requestIdOf(req));
    }
    // tRPC cannot read an empty POST body (a mutation without input sent without batching): it means `{}`.
    if (Number(req.get('content-length') ?? -1) === 0) req.body = '{}';
    if (foreignOrigin) return refuseOrigin();
    if (origin === undefined && hasCookie(req, authCookies) && !req.get('authorization')) {
      return reject(res, 403, 'origin_required', 'Cookie-authenticated requests must carry an Origin header.', requestIdOf(req));
    }
    next();
  };
}

/** Loopback names, at any port: a developer's own requests (and the Vite proxy's) in every environment. */
const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * DNS-rebinding defence: a page on an attacker's name that resolves to this server (a developer's
 * laptop, an internal address) is answered 421, so it can read nothing, the mailbox included. The
 * names served are APP_ORIGIN's, CORS_ORIGINS' and loopback; hostnames are compared without the
 * port, which a rebinding page cannot change anyway (its origin must already carry ours). Behind a
 * trusted proxy Express reads X-Forwarded-Host. Mounted after /healthz, /readyz and /metrics: load
 * balancers and scrapers address an instance by its IP, and those routes reveal nothing a page
 * could use (/metrics is token-protected in production).
 */
export function hostGuard(config: AppConfig): RequestHandler {
  const served = new Set([...LOOPBACK_HOSTNAMES, ...[...allowedOrigins(config)].map((origin) => new URL(origin).hostname)]);
  return (req, res, next) => {
    const hostname = req.hostname?.toLowerCase().replace(/\.$/, '');
    if (hostname && served.has(hostname)) return next();
    const status = 421;
    res.status(status).json({ error: { message: 'This server does not serve that host name.', data: { reason: 'misdirected_request', httpStatus: status, requestId: requestIdOf(req) } } });
  };
}
