import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, hashSecret, newApiKey, parseApiKey, sameHash } from './key-format.ts';

const ring = { kid: 'k1', secret: Buffer.alloc(32, 7) };
const other = { kid: 'k2', secret: Buffer.alloc(32, 8) };

describe('API key format', () => {
  it('is bst_<8 alphanumerics>_<43 base64url characters: 32 random bytes>, never twice the same', () => {
    const keys = Array.from({ length: 200 }, () => newApiKey());
    for (const { key, prefix, secret } of keys) {
      expect(key).toMatch(API_KEY_PATTERN);
      expect(parseApiKey(key)).toEqual({ prefix, secret });
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    }
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(200);
  });

  it('refuses anything else', () => {
    for (const token of ['', 'bst_', 'bst_abc_def', `bst_ABCDEFG!_${'a'.repeat(43)}`, `bst_ABCDEFGH_${'a'.repeat(42)}`, `xst_ABCDEFGH_${'a'.repeat(43)}`, `bst_ABCDEFGH_${'a'.repeat(43)} `]) {
      expect(parseApiKey(token), token).toBeNull();
    }
  });

  it('hashes with the ring key and the prefix bound in; compares in constant time', () => {
    const { prefix, secret } = newApiKey();
    const hash = hashSecret(ring, prefix, secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sameHash(hash, hashSecret(ring, prefix, secret))).toBe(true);
    expect(sameHash(hash, hashSecret(other, prefix, secret))).toBe(false);
    expect(sameHash(hash, hashSecret(ring, 'ZZZZZZZZ', secret))).toBe(false);
    expect(sameHash(hash, '')).toBe(false);
    expect(sameHash(hash, 'abcd')).toBe(false);
  });
});
