import type { AppConfig } from '../../config/index.ts';
import type { CookieJar, CookieOptions } from '../../context.ts';

/** Cookie names: the `__Host-` prefix (Secure, host-only, Path=/) whenever cookies are Secure. */
export function cookieNames(config: AppConfig['auth']) {
  const prefix = config.secureCookies ? '__Host-' : '';
  return { access: `${prefix}bastion_at`, refresh: `${prefix}bastion_rt`, hint: `${prefix}bastion_session` };
}

/**
 * The session hint's value: it carries nothing (no token, no id) and grants nothing — the server
 * never reads it. It only tells the web app that asking `auth.me` is worth a request.
 */
export const SESSION_HINT_VALUE = '1';

function options(config: AppConfig['auth'], maxAgeSeconds?: number, readableByScript = false): CookieOptions {
  // Strict: the API is only ever called by the web app's own origin; no cross-site flow needs them.
  return { httpOnly: !readableByScript, secure: config.secureCookies, sameSite: 'strict', path: '/', maxAgeSeconds };
}

export function setTokenCookies(
  cookies: CookieJar,
  config: AppConfig['auth'],
  tokens: { accessToken: string; refreshToken: string },
): void {
  const names = cookieNames(config);
  cookies.set(names.access, tokens.accessToken, options(config, config.accessTokenTtlSeconds));
  cookies.set(names.refresh, tokens.refreshToken, options(config, config.sessionAbsoluteTimeoutSeconds));
  // Lives exactly as long as the refresh cookie: while it exists, a session may.
  cookies.set(names.hint, SESSION_HINT_VALUE, options(config, config.sessionAbsoluteTimeoutSeconds, true));
}

export function clearTokenCookies(cookies: CookieJar, config: AppConfig['auth']): void {
  const names = cookieNames(config);
  cookies.clear(names.access, options(config));
  cookies.clear(names.refresh, options(config));
  cookies.clear(names.hint, options(config, undefined, true));
}
