import { ROLES, type Role } from './permissions.ts';
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { AppConfig } from '../../config/index.ts';

const ALGORITHM = 'HS256';
const CLOCK_TOLERANCE_S = 5;
/** Headers that would let a token choose its own verification key. */
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'];

const claimsSchema = z.object({
  sub: z.uuid(),
  sid: z.uuid(),
  role: z.enum(ROLES),
  jti: z.string().min(1),
  iat: z.number(),
  exp: z.number(),
});

export type AccessClaims = z.infer<typeof claimsSchema>;

type JwtKey = AppConfig['auth']['jwtKeys'][number];

/** jsonwebtoken builds a KeyObject from a raw secret on every call: build each configured key's once. */
const keyObjects = new WeakMap<JwtKey, KeyObject>();
function keyObjectOf(key: JwtKey): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = createSecretKey(key.secret);
    keyObjects.set(key, object);
  }
  return object;
}

export function signAccessToken(
  config: AppConfig['auth'],
  subject: { userId: string; sessionId: string; role: Role },
): { token: string; expiresAt: Date } {
  const [key] = config.jwtKeys;
  if (!key) throw new Error('no JWT signing key');
  const nowSeconds = Math.floor(Date.now() / 1000);
  const exp = nowSeconds + config.accessTokenTtlSeconds;
  const token = jwt.sign({ sid: subject.sessionId, role: subject.role, iat: nowSeconds, exp }, keyObjectOf(key), {
    algorithm: ALGORITHM,
    keyid: key.kid,
    subject: subject.userId,
    issuer: config.issuer,
    audience: config.audience,
    jwtid: randomUUID(),
  });
  return { token, expiresAt: new Date(exp * 1000) };
}

/**
 * Tokens this process has verified, per configuration, until they expire. A client presents the same
 * access token on every call of its lifetime, and verifying it again (two base64 decodes and JSON
 * parses, an HMAC, the claims' schema) was ~6 % of a `contacts.list`'s CPU. Keyed by the whole
 * token, so a hit is exactly a token verified here before; expiry is checked again on every hit.
 * Revocation is not the token's business: the session check after this runs on every call (ADR 010).
 */
const verifiedTokens = new WeakMap<AppConfig['auth'], LRUCache<string, AccessClaims>>();
const VERIFIED_TOKENS_MAX = 10_000;

/** Returns the claims of a valid token, or null for anything else (never throws). */
export function verifyAccessToken(config: AppConfig['auth'], token: string): AccessClaims | null {
  let verified = verifiedTokens.get(config);
  if (!verified) verifiedTokens.set(config, (verified = new LRUCache({ max: VERIFIED_TOKENS_MAX })));
  const nowSeconds = Date.now() / 1000;
  const known = verified.get(token);
  if (known) {
    if (known.exp + CLOCK_TOLERANCE_S > nowSeconds) return known;
    verified.delete(token);
    return null;
  }
  const claims = verifyAccessTokenOnce(config, token);
  if (claims) verified.set(token, claims, { ttl: Math.max(1, Math.ceil((claims.exp + CLOCK_TOLERANCE_S - nowSeconds) * 1000)) });
  return claims;
}

function verifyAccessTokenOnce(config: AppConfig['auth'], token: string): AccessClaims | null {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') return null;
  const header = decoded.header as unknown as Record<string, unknown>;
  if (header.alg !== ALGORITHM) return null;
  if (FORBIDDEN_HEADERS.some((name) => name in header)) return null;
  const key = config.jwtKeys.find((candidate) => candidate.kid === header.kid);
  if (!key) return null;
  try {
    const payload = jwt.verify(token, keyObjectOf(key), {
      algorithms: [ALGORITHM],
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: CLOCK_TOLERANCE_S,
    });
    const claims = claimsSchema.safeParse(payload);
    return claims.success ? claims.data : null;
  } catch {
    return null;
  }
}
