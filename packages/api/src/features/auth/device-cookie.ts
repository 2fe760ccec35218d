import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../../lib/crypto/derive-key.ts';
import type { AppConfig } from '../../config/index.ts';
import type { CookieJar, CookieOptions } from '../../context.ts';

/**
 * OWASP's device cookie: proof that this browser has completed a sign-in to an account before.
 * Such a browser is exempt from the account-wide ceiling on failed sign-ins (it keeps the
 * per-address lockout), so an attacker guessing from everywhere cannot lock the owner out of a
 * browser they already use. The cookie grants nothing else: it is no credential.
 *
 * One cookie per browser lists the accounts it signed in to, newest first, at most
 * `MAX_ACCOUNTS`: its size stays bounded however many accounts share the browser. Each entry is
 * `<userId>.<issuedAt>.<nonce>.<mac>` with an HMAC-SHA256 under a key derived from
 * REFRESH_TOKEN_SECRET (HKDF, own `info`: a device MAC is never a refresh-token MAC).
 */
export const MAX_ACCOUNTS = 5;
export const DEVICE_COOKIE_TTL_SECONDS = 365 * 86_400;
const SEPARATOR = '~';
/** Far more than 5 entries ever need (each is ~115 characters): anything longer is not ours. */
const MAX_COOKIE_LENGTH = 2048;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ENTRY = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function deviceCookieName(config: AppConfig['auth']): string {
  return `${config.secureCookies ? '__Host-' : ''}bastion_device`;
}

function cookieOptions(config: AppConfig['auth']): CookieOptions {
  // Strict: only `auth.login`, a same-site POST from the web app, ever needs it.
  return { httpOnly: true, secure: config.secureCookies, sameSite: 'strict', path: '/', maxAgeSeconds: DEVICE_COOKIE_TTL_SECONDS };
}

const deviceKey = (secret: Buffer): Buffer => deriveKey(secret, 'bastion device cookie');

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

interface Entry {
  userId: string;
  raw: string;
}

/** The entries whose MAC verifies (in constant time) and that have not expired, in cookie order. */
function validEntries(config: AppConfig['auth'], value: string | undefined, nowSeconds: number): Entry[] {
  if (!value || value.length > MAX_COOKIE_LENGTH) return [];
  const key = deviceKey(config.refreshTokenSecret);
  const entries: Entry[] = [];
  for (const raw of value.split(SEPARATOR).slice(0, MAX_ACCOUNTS)) {
    const match = ENTRY.exec(raw);
    if (!match) continue;
    const [, userId = '', issued = '', nonce = '', presented = ''] = match;
    const expected = mac(key, `${userId}.${issued}.${nonce}`);
    const given = Buffer.from(presented, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) continue;
    const issuedAt = Number(issued);
    if (issuedAt > nowSeconds + 60 || nowSeconds - issuedAt > DEVICE_COOKIE_TTL_SECONDS) continue;
    entries.push({ userId, raw });
  }
  return entries;
}

/** A fresh signed entry for `userId`. */
export function issueDeviceEntry(config: AppConfig['auth'], userId: string, nowSeconds: number): string {
  if (!UUID.test(userId)) throw new Error('device cookie: not a user id');
  const payload = `${userId}.${nowSeconds}.${randomBytes(16).toString('base64url')}`;
  return `${payload}.${mac(deviceKey(config.refreshTokenSecret), payload).toString('base64url')}`;
}

/** Whether this browser carries a valid device entry for `userId`. */
export function isTrustedDevice(cookies: CookieJar, config: AppConfig['auth'], userId: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  return validEntries(config, cookies.get(deviceCookieName(config)), nowSeconds).some((entry) => entry.userId === userId);
}

/**
 * After a complete sign-in (password and, when on, the second factor): puts a fresh entry for the
 * account first, keeps the browser's other valid entries, drops the oldest beyond `MAX_ACCOUNTS`.
 */
export function rememberDevice(cookies: CookieJar, config: AppConfig['auth'], userId: string, nowSeconds = Math.floor(Date.now() / 1000)): void {
  const name = deviceCookieName(config);
  const others = validEntries(config, cookies.get(name), nowSeconds).filter((entry) => entry.userId !== userId);
  const value = [issueDeviceEntry(config, userId, nowSeconds), ...others.map((entry) => entry.raw)].slice(0, MAX_ACCOUNTS).join(SEPARATOR);
  cookies.set(name, value, cookieOptions(config));
}
