import { ROLES, type Role } from './permissions.ts';
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import type { AppConfig } from '../../config/index.ts';

const ALGORITHM = 'HS256';
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

/** Returns the claims of a valid token, or null for anything else (never throws). */
export function verifyAccessToken(config: AppConfig['auth'], token: string): AccessClaims | null {
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
      clockTolerance: 5,
    });
    const claims = claimsSchema.safeParse(payload);
    return claims.success ? claims.data : null;
  } catch {
    return null;
  }
}
