import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../../lib/crypto/derive-key.ts';

/**
 * An API key as handed out: `bst_<prefix>_<secret>`. The prefix (8 characters of [A-Za-z0-9])
 * names the key in lists and logs and finds its row; the secret (32 random bytes, base64url) is
 * shown once and only its HMAC is kept.
 */
export const API_KEY_PATTERN = /^bst_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$/;
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const PREFIX_LENGTH = 8;

export interface KeyRingEntry {
  kid: string;
  secret: Buffer;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('bst_');
}

export function parseApiKey(token: string): { prefix: string; secret: string } | null {
  const match = API_KEY_PATTERN.exec(token);
  return match?.[1] && match[2] ? { prefix: match[1], secret: match[2] } : null;
}

export function newApiKey(): { prefix: string; secret: string; key: string } {
  let prefix = '';
  for (let i = 0; i < PREFIX_LENGTH; i++) prefix += BASE62[randomInt(BASE62.length)];
  const secret = randomBytes(32).toString('base64url');
  return { prefix, secret, key: `bst_${prefix}_${secret}` };
}

/**
 * The server's pepper: a key derived (HKDF, own `info`) from an encryption key ring entry, so a
 * copy of the database alone cannot test guesses. The entry's kid is stored with each hash: a ring
 * rotation keeps old keys verifiable while their kid stays in ENCRYPTION_KEYS.
 */
const pepper = (entry: KeyRingEntry): Buffer => deriveKey(entry.secret, 'bastion api key v1');

/** Hex HMAC-SHA256 of the secret part; the prefix is bound in so a hash cannot move to another row. */
export function hashSecret(entry: KeyRingEntry, prefix: string, secret: string): string {
  return createHmac('sha256', pepper(entry)).update(`${prefix}.${secret}`).digest('hex');
}

/** Constant-time comparison of two hex hashes of equal length. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
