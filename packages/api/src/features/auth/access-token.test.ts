import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { signAccessToken, verifyAccessToken } from './access-token.ts';

const KEY_NEW = 'bmV3LWtleS1mb3ItYWNjZXNzLXRva2VuLXRlc3RzLTAxMjM0NTY3ODk';
const KEY_OLD = 'b2xkLWtleS1mb3ItYWNjZXNzLXRva2VuLXRlc3RzLTAxMjM0NTY3ODk';
const auth = loadConfig({ NODE_ENV: 'test', JWT_SECRETS: `new:${KEY_NEW},old:${KEY_OLD}` }).auth;
const subject = { userId: '6f1c2a8e-3b9d-4c1e-9f0a-1b2c3d4e5f60', sessionId: '0e9d8c7b-6a5f-4e3d-8c1b-a09f8e7d6c5b', role: 'user' as const };

const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
function forge(header: object, payload: object, secret: Buffer | string) {
  const body = `${b64url(header)}.${b64url(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const validPayload = () => ({ sub: subject.userId, sid: subject.sessionId, role: 'user', jti: 'j1', iat: now(), exp: now() + 600, iss: auth.issuer, aud: auth.audience });

describe('access tokens', () => {
  it('round-trips with the pinned claims and the signing key id', () => {
    const { token, expiresAt } = signAccessToken(auth, subject);
    const decoded = jwt.decode(token, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'HS256', kid: 'new' });
    expect(decoded.payload).toMatchObject({ sub: subject.userId, sid: subject.sessionId, role: 'user', iss: 'bastion', aud: 'bastion-api' });
    expect(Object.keys(decoded.payload as object).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(890_000);
    expect(verifyAccessToken(auth, token)?.sid).toBe(subject.sessionId);
  });

  it('accepts a token signed with an older key still in the ring (rotation)', () => {
    const token = forge({ alg: 'HS256', typ: 'JWT', kid: 'old' }, validPayload(), Buffer.from(KEY_OLD, 'base64'));
    expect(verifyAccessToken(auth, token)?.sub).toBe(subject.userId);
  });

  it('rejects a tampered payload', () => {
    const { token } = signAccessToken(auth, subject);
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${b64url({ ...validPayload(), role: 'admin' })}.${signature}`;
    expect(verifyAccessToken(auth, tampered)).toBeNull();
  });

  it('rejects an expired token and one not yet valid', () => {
    const key = Buffer.from(KEY_NEW, 'base64');
    expect(verifyAccessToken(auth, forge({ alg: 'HS256', kid: 'new' }, { ...validPayload(), iat: now() - 1000, exp: now() - 60 }, key))).toBeNull();
    expect(verifyAccessToken(auth, forge({ alg: 'HS256', kid: 'new' }, { ...validPayload(), nbf: now() + 600 }, key))).toBeNull();
  });

  it('rejects alg none, other algorithms, unknown or missing kid', () => {
    const none = `${b64url({ alg: 'none', typ: 'JWT', kid: 'new' })}.${b64url(validPayload())}.`;
    expect(verifyAccessToken(auth, none)).toBeNull();
    expect(verifyAccessToken(auth, forge({ alg: 'HS512', kid: 'new' }, validPayload(), Buffer.from(KEY_NEW, 'base64')))).toBeNull();
    expect(verifyAccessToken(auth, forge({ alg: 'HS256', kid: 'gone' }, validPayload(), Buffer.from(KEY_NEW, 'base64')))).toBeNull();
    expect(verifyAccessToken(auth, forge({ alg: 'HS256' }, validPayload(), Buffer.from(KEY_NEW, 'base64')))).toBeNull();
  });

  it('rejects a token signed with a key that is not ours', () => {
    expect(verifyAccessToken(auth, forge({ alg: 'HS256', kid: 'new' }, validPayload(), 'attacker-secret'))).toBeNull();
  });

  it('rejects wrong audience or issuer and missing claims', () => {
    const key = Buffer.from(KEY_NEW, 'base64');
    expect(verifyAccessToken(auth, forge({ alg: 'HS256', kid: 'new' }, { ...validPayload(), aud: 'other-api' }, key))).toBeNull();
    expect(verifyAccessToken(auth, forge({ alg: 'HS256', kid: 'new' }, { ...validPayload(), iss: 'someone-else' }, key))).toBeNull();
    const { sid: _sid, ...withoutSid } = validPayload();
    expect(verifyAccessToken(auth, forge({ alg: 'HS256', kid: 'new' }, withoutSid, key))).toBeNull();
  });

  it('rejects tokens whose header names its own key (jku, jwk, x5u, x5c)', () => {
    const key = Buffer.from(KEY_NEW, 'base64');
    for (const extra of [{ jku: 'http://evil.test/keys' }, { jwk: { kty: 'oct', k: 'x' } }, { x5u: 'http://evil.test/cert' }, { x5c: ['MII'] }]) {
      expect(verifyAccessToken(auth, forge({ alg: 'HS256', kid: 'new', ...extra }, validPayload(), key))).toBeNull();
    }
  });

  it('rejects garbage', () => {
    for (const garbage of ['', 'abc', 'a.b.c', 'eyJ.eyJ.sig']) expect(verifyAccessToken(auth, garbage)).toBeNull();
  });

  describe('verified once per process', () => {
    afterEach(() => {
      vi.useRealTimers();
      vi.restoreAllMocks();
    });

    it('answers a token it has verified from memory, with the same claims', () => {
      const { token } = signAccessToken(auth, subject);
      const verify = vi.spyOn(jwt, 'verify');
      const first = verifyAccessToken(auth, token);
      expect(verify).toHaveBeenCalledTimes(1);
      expect(verifyAccessToken(auth, token)).toEqual(first);
      expect(verifyAccessToken(auth, token)).toEqual(first);
      expect(verify).toHaveBeenCalledTimes(1);
    });

    it('refuses a remembered token once it expires', () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const { token } = signAccessToken(auth, subject);
      expect(verifyAccessToken(auth, token)).not.toBeNull();
      vi.setSystemTime(Date.now() + (auth.accessTokenTtlSeconds + 6) * 1000);
      expect(verifyAccessToken(auth, token)).toBeNull();
    });

    it('does not carry a token verified under one configuration to another', () => {
      const { token } = signAccessToken(auth, subject);
      expect(verifyAccessToken(auth, token)).not.toBeNull();
      const other = loadConfig({ NODE_ENV: 'test', JWT_SECRETS: `new:${Buffer.from('a-different-key-for-the-same-kid-0123456789').toString('base64url')}` }).auth;
      expect(verifyAccessToken(other, token)).toBeNull();
    });
  });
});
