import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import type { CookieJar, CookieOptions } from '../../context.ts';
import { DEVICE_COOKIE_TTL_SECONDS, deviceCookieName, isTrustedDevice, issueDeviceEntry, MAX_ACCOUNTS, rememberDevice } from './device-cookie.ts';

const SECRET = 'ZGV2aWNlLWNvb2tpZS10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm';
const auth = loadConfig({ NODE_ENV: 'test', REFRESH_TOKEN_SECRET: SECRET }).auth;
const other = loadConfig({ NODE_ENV: 'test', REFRESH_TOKEN_SECRET: 'b3RoZXItcmVmcmVzaC1zZWNyZXQtZm9yLWRldmljZS1jb29raWVzLTAxMjM0NQ' }).auth;
const NOW = 1_800_000_000;
const userA = '6f1c2a8e-3b9d-4c1e-9f0a-1b2c3d4e5f60';
const userB = '0e9d8c7b-6a5f-4e3d-8c1b-a09f8e7d6c5b';
const userId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A browser's jar: what was set is sent back. */
function browser(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  const set: { name: string; value: string; options: CookieOptions }[] = [];
  const jar: CookieJar = {
    get: (name) => values.get(name),
    set: (name, value, options) => {
      values.set(name, value);
      set.push({ name, value, options });
    },
    clear: (name) => values.delete(name),
  };
  return { jar, set, value: () => values.get(deviceCookieName(auth)) ?? '' };
}

describe('device cookie', () => {
  it('is httpOnly, SameSite=Strict, Path=/, one year; __Host- and Secure only with secure cookies', () => {
    const b = browser();
    rememberDevice(b.jar, auth, userA, NOW);
    expect(b.set).toHaveLength(1);
    expect(b.set[0]).toMatchObject({ name: 'bastion_device', options: { httpOnly: true, sameSite: 'strict', path: '/', secure: false, maxAgeSeconds: DEVICE_COOKIE_TTL_SECONDS } });
    expect(deviceCookieName({ ...auth, secureCookies: true })).toBe('__Host-bastion_device');
  });

  it('trusts the browser for the account it signed in to, not for another', () => {
    const b = browser();
    rememberDevice(b.jar, auth, userA, NOW);
    expect(isTrustedDevice(b.jar, auth, userA, NOW)).toBe(true);
    expect(isTrustedDevice(b.jar, auth, userB, NOW)).toBe(false);
    expect(isTrustedDevice(browser().jar, auth, userA, NOW)).toBe(false);
  });

  it('is signed with a key derived by HKDF (not the raw refresh secret), and refuses any change', () => {
    const entry = issueDeviceEntry(auth, userA, NOW);
    const [id, issued, nonce, mac] = entry.split('.');
    const payload = `${id}.${issued}.${nonce}`;
    const derived = Buffer.from(hkdfSync('sha256', auth.refreshTokenSecret, Buffer.alloc(0), 'bastion device cookie', 32));
    expect(mac).toBe(createHmac('sha256', derived).update(payload).digest('base64url'));
    expect(mac).not.toBe(createHmac('sha256', auth.refreshTokenSecret).update(payload).digest('base64url'));

    const trusted = (value: string) => isTrustedDevice(browser({ [deviceCookieName(auth)]: value }).jar, auth, userA, NOW);
    expect(trusted(entry)).toBe(true);
    // The same entry for another account, a forged MAC, a truncated one, another server's key.
    expect(trusted(entry.replace(userA, userB))).toBe(false);
    expect(isTrustedDevice(browser({ [deviceCookieName(auth)]: entry.replace(userA, userB) }).jar, auth, userB, NOW)).toBe(false);
    expect(trusted(`${payload}.${createHmac('sha256', 'guess').update(payload).digest('base64url')}`)).toBe(false);
    expect(trusted(entry.slice(0, -2))).toBe(false);
    expect(trusted(`${payload}.${'A'.repeat(43)}`)).toBe(false);
    expect(isTrustedDevice(browser({ [deviceCookieName(other)]: entry }).jar, other, userA, NOW)).toBe(false);
    expect(trusted('garbage')).toBe(false);
    expect(trusted(`${entry}~`.repeat(30))).toBe(false); // longer than any cookie we set
  });

  it('expires after a year', () => {
    const b = browser();
    rememberDevice(b.jar, auth, userA, NOW);
    expect(isTrustedDevice(b.jar, auth, userA, NOW + DEVICE_COOKIE_TTL_SECONDS - 1)).toBe(true);
    expect(isTrustedDevice(b.jar, auth, userA, NOW + DEVICE_COOKIE_TTL_SECONDS + 1)).toBe(false);
  });

  it('holds the last accounts of a shared browser, newest first, at most MAX_ACCOUNTS', () => {
    const b = browser();
    for (let n = 1; n <= MAX_ACCOUNTS + 2; n++) rememberDevice(b.jar, auth, userId(n), NOW + n);
    expect(b.value().split('~')).toHaveLength(MAX_ACCOUNTS);
    expect(isTrustedDevice(b.jar, auth, userId(1), NOW + 10)).toBe(false);
    expect(isTrustedDevice(b.jar, auth, userId(2), NOW + 10)).toBe(false);
    for (let n = 3; n <= MAX_ACCOUNTS + 2; n++) expect(isTrustedDevice(b.jar, auth, userId(n), NOW + 10)).toBe(true);

    // Signing in again moves the account first, once, and keeps the others.
    rememberDevice(b.jar, auth, userId(3), NOW + 20);
    const entries = b.value().split('~');
    expect(entries).toHaveLength(MAX_ACCOUNTS);
    expect(entries[0]?.startsWith(userId(3))).toBe(true);
    expect(entries.filter((entry) => entry.startsWith(userId(3)))).toHaveLength(1);
    for (let n = 3; n <= MAX_ACCOUNTS + 2; n++) expect(isTrustedDevice(b.jar, auth, userId(n), NOW + 30)).toBe(true);
  });

  it('drops entries that do not verify when it rewrites the cookie', () => {
    const forged = `${userB}.${NOW}.${'n'.repeat(22)}.${'m'.repeat(43)}`;
    const b = browser({ [deviceCookieName(auth)]: forged });
    rememberDevice(b.jar, auth, userA, NOW);
    expect(b.value().split('~')).toHaveLength(1);
    expect(b.value()).not.toContain(forged);
  });
});
