import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decrypt, DecryptionError, encrypt, needsReencryption } from './key-ring.ts';

const oldKey = { kid: 'old', secret: randomBytes(32) };
const newKey = { kid: 'new', secret: randomBytes(32) };

describe('key ring encryption', () => {
  it('round-trips, with the key id in the ciphertext and a fresh IV each time', () => {
    const a = encrypt([newKey], 'JBSWY3DPEHPK3PXP', 'totp:user-1');
    const b = encrypt([newKey], 'JBSWY3DPEHPK3PXP', 'totp:user-1');
    expect(a).toMatch(/^v1\.new\./);
    expect(a).not.toBe(b);
    expect(a).not.toContain('JBSWY3DPEHPK3PXP');
    expect(decrypt([newKey], a, 'totp:user-1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('decrypts with an older key still in the ring, and says when to re-encrypt', () => {
    const sealed = encrypt([oldKey], 'secret', 'ctx');
    const ring = [newKey, oldKey];
    expect(decrypt(ring, sealed, 'ctx')).toBe('secret');
    expect(needsReencryption(ring, sealed)).toBe(true);
    expect(needsReencryption(ring, encrypt(ring, 'secret', 'ctx'))).toBe(false);
  });

  it('refuses a removed key, another context, and any tampering', () => {
    const sealed = encrypt([oldKey], 'secret', 'totp:user-1');
    expect(() => decrypt([newKey], sealed, 'totp:user-1')).toThrow(DecryptionError);
    expect(() => decrypt([oldKey], sealed, 'totp:user-2')).toThrow(DecryptionError);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => decrypt([oldKey], [...parts.slice(0, 3), flipped.toString('base64url'), parts[4]].join('.'), 'totp:user-1')).toThrow(DecryptionError);
    expect(() => decrypt([oldKey], 'garbage', 'totp:user-1')).toThrow(DecryptionError);
    // Relabelling the ciphertext with another kid does not help.
    expect(() => decrypt([newKey, oldKey], sealed.replace('.old.', '.new.'), 'totp:user-1')).toThrow(DecryptionError);
  });
});
