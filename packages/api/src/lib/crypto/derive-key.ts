import { hkdfSync } from 'node:crypto';

const derived = new WeakMap<Buffer, Map<string, Buffer>>();

/**
 * A 256-bit key for one purpose (`info`), derived from a configured secret by HKDF-SHA256 and kept
 * for the secret's lifetime: one secret never serves two purposes as the same bytes.
 */
export function deriveKey(secret: Buffer, info: string): Buffer {
  let byInfo = derived.get(secret);
  if (!byInfo) derived.set(secret, (byInfo = new Map()));
  let key = byInfo.get(info);
  if (!key) byInfo.set(info, (key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32))));
  return key;
}
