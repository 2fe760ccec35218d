import type { Request, Response } from 'express';
import { parseCookie, type Cookies } from 'cookie';
import type { CookieJar } from '@bastion/api';

/** The `cookie` package keeps the first value of a repeated name (the most specific, as browsers send it). */
function parseCookies(header: string | undefined): Cookies {
  return header ? parseCookie(header) : {};
}

export function cookieJar(req: Request, res: Response): CookieJar {
  const cookies = parseCookies(req.headers.cookie);
  return {
    get: (name) => cookies[name],
    set: (name, value, options) =>
      res.cookie(name, value, {
        httpOnly: options.httpOnly,
        secure: options.secure,
        sameSite: options.sameSite,
        path: options.path,
        ...(options.maxAgeSeconds !== undefined ? { maxAge: options.maxAgeSeconds * 1000 } : {}),
      }),
    clear: (name, options) =>
      res.clearCookie(name, { httpOnly: options.httpOnly, secure: options.secure, sameSite: options.sameSite, path: options.path }),
  };
}

export function hasCookie(req: Request, names: string[]): boolean {
  const cookies = parseCookies(req.headers.cookie);
  return names.some((name) => cookies[name] !== undefined);
}
