import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from './derive-key.ts';

/**
 * The application's one encryption module: AES-256-GCM under a key ring, for secrets that must be
 * read back (TOTP secrets, connected-account tokens). Ciphertexts name their key, so keys rotate:
 * the first key encrypts, every key decrypts, and `needsReencryption` finds rows to rewrite.
 *
 * Format: `v1.<kid>.<iv>.<ciphertext>.<tag>` (base64url parts). The caller's `context` (for example
 * `totp:<userId>`) is bound as associated data, so a ciphertext copied to another row or purpose
 * does not decrypt.
 */
export interface EncryptionKey {
  kid: string;
  /** At least 256 bits; the AES key is derived from it with HKDF-SHA-256. */
  secret: Buffer;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

const aesKey = (key: EncryptionKey): Buffer => deriveKey(key.secret, 'bastion aes-256-gcm v1');

export function encrypt(keys: readonly EncryptionKey[], plaintext: string, context: string): string {
  const [key] = keys;
  if (!key) throw new Error('no encryption key configured');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', aesKey(key), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, key.kid, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

export function decrypt(keys: readonly EncryptionKey[], sealed: string, context: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) throw new DecryptionError('unknown ciphertext format');
  const [, kid, iv, ciphertext, tag] = parts as [string, string, string, string, string];
  const key = keys.find((candidate) => candidate.kid === kid);
  if (!key) throw new DecryptionError(`no key "${kid}" in the ring`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', aesKey(key), Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError('ciphertext does not authenticate');
  }
}

/** True when the value was sealed with a key other than the current (first) one. */
export function needsReencryption(keys: readonly EncryptionKey[], sealed: string): boolean {
  return sealed.split('.')[1] !== keys[0]?.kid;
}
