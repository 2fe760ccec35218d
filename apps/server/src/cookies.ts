import type { Request, Response } from 'express';
import type { CookieJar } from '@bastion/api';

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator <= 0) continue;
    const name = part.slice(0, separator).trim();
    if (cookies.has(name)) continue; // the first (most specific) value wins, as in browsers
    try {
      cookies.set(name, decodeURIComponent(part.slice(separator + 1).trim()));
    } catch {
      // a malformed value is ignored rather than failing the request
    }
  }
  return cookies;
}

export function cookieJar(req: Request, res: Response): CookieJar {
  const cookies = parseCookies(req.headers.cookie);
  return {
    get: (name) => cookies.get(name),
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
  return names.some((name) => cookies.has(name));
}
