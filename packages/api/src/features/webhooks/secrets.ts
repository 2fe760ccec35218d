import { decrypt, encrypt, type EncryptionKey } from '../../lib/crypto/key-ring.ts';

/**
 * Endpoint secrets at rest: sealed with the key ring (ADR 013). The context binds each ciphertext
 * to its endpoint and slot, so a sealed secret copied to another row, or from `previous` to
 * `current`, does not decrypt.
 */
export const endpointSecretContext = (endpointId: string, slot: 'current' | 'previous') => `webhook-secret:${slot}:${endpointId}`;

export const sealEndpointSecret = (keys: readonly EncryptionKey[], endpointId: string, secret: string, slot: 'current' | 'previous' = 'current') =>
  encrypt(keys, secret, endpointSecretContext(endpointId, slot));

export const unsealEndpointSecret = (keys: readonly EncryptionKey[], endpointId: string, sealed: string, slot: 'current' | 'previous' = 'current') =>
  decrypt(keys, sealed, endpointSecretContext(endpointId, slot));

/** How long a rotated-out secret keeps signing beside the new one. */
export const ROTATION_OVERLAP_SECONDS = 24 * 3600;

/** The secrets that sign now: the current one, and the previous one during its overlap. */
export function signingSecrets(
  keys: readonly EncryptionKey[],
  endpoint: { id: string; secretSealed: string; previousSecretSealed: string | null; previousSecretExpiresAt: Date | null },
  now = new Date(),
): string[] {
  const secrets = [unsealEndpointSecret(keys, endpoint.id, endpoint.secretSealed)];
  if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(unsealEndpointSecret(keys, endpoint.id, endpoint.previousSecretSealed, 'previous'));
  }
  return secrets;
}
