import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { hashSecret, parseApiKey, sameHash, type KeyRingEntry } from './key-format.ts';
import { UNKNOWN_KEY, type KnownKey } from './verifier.ts';
import type { Scope } from './scopes.ts';

/** What a key-authenticated call carries: never the secret. */
export interface ApiKeyAuth {
  id: string;
  prefix: string;
  scopes: readonly Scope[];
}

const invalid = () => new AppError('UNAUTHORIZED', 'invalid_api_key', 'This API key is not valid.');

/** A fixed entry to hash against when the prefix is unknown: both paths do the same work. */
const DECOY: KeyRingEntry = { kid: 'decoy', secret: Buffer.alloc(32) };
const DECOY_HASH = '0'.repeat(64);

/**
 * Records a refused key (revoked, expired, wrong scope) as a security event of its owner, at most
 * once a minute per key and reason per process, and logs the prefix (never the secret).
 */
export async function recordRefusedKey(ctx: Context, key: { id: string; userId: string; prefix: string }, reason: string): Promise<void> {
  ctx.log.info({ apiKeyPrefix: key.prefix, reason }, 'API key refused');
  if (!ctx.apiKeys.shouldRecordRefusal(key.id, reason)) return;
  try {
    await recordSecurityEvent(ctx, 'api_key_refused', key.userId, { keyId: key.id, prefix: key.prefix, reason });
  } catch (error) {
    ctx.log.warn({ err: error }, 'could not record a refused API key');
  }
}

/**
 * Verifies `bst_<prefix>_<secret>`: the row comes from the cache by prefix, the secret's HMAC is
 * compared in constant time, then revocation, the owner's state and expiry are checked (expiry
 * against the clock on every call, so it needs no notification).
 */
export async function authenticateApiKey(ctx: Context, token: string): Promise<{ key: KnownKey; auth: ApiKeyAuth }> {
  const parsed = parseApiKey(token);
  if (!parsed) throw invalid();
  const found = await ctx.apiKeys.find(ctx.db, parsed.prefix);
  const known = found === UNKNOWN_KEY ? null : (found as KnownKey);
  const ring = known ? ctx.config.encryption.keys.find((entry) => entry.kid === known.hashKid) : undefined;
  const matches = sameHash(hashSecret(ring ?? DECOY, parsed.prefix, parsed.secret), known && ring ? known.secretHash : DECOY_HASH);
  if (!known || !ring || !matches) {
    if (known && !ring) ctx.log.warn({ apiKeyPrefix: parsed.prefix, kid: known.hashKid }, 'API key hashed under a key no longer in ENCRYPTION_KEYS');
    ctx.log.debug({ apiKeyPrefix: parsed.prefix }, 'API key not recognised');
    throw invalid();
  }
  const reference = { id: known.id, userId: known.userId, prefix: parsed.prefix };
  if (known.revoked) {
    await recordRefusedKey(ctx, reference, 'api_key_revoked');
    throw new AppError('UNAUTHORIZED', 'api_key_revoked', 'This API key has been revoked.');
  }
  if (known.expiresAt !== null && known.expiresAt <= Date.now()) {
    await recordRefusedKey(ctx, reference, 'api_key_expired');
    throw new AppError('UNAUTHORIZED', 'api_key_expired', 'This API key has expired.');
  }
  if (known.ownerDisabled) throw invalid();
  ctx.apiKeys.lastUsed.touch(known.id);
  return { key: known, auth: { id: known.id, prefix: parsed.prefix, scopes: known.scopes } };
}
