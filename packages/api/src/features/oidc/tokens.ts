import { decrypt, encrypt, type EncryptionKey } from '../../lib/crypto/key-ring.ts';

type Keys = readonly EncryptionKey[];
export type TokenColumn = 'access_token' | 'refresh_token';

/**
 * Associated data of a sealed provider token: table, column, user and account. A ciphertext moved
 * to another row, another user or the other column does not decrypt.
 */
export const tokenContext = (column: TokenColumn, userId: string, accountId: string) => `connected_accounts:${column}:${userId}:${accountId}`;

export interface AccountRef {
  id: string;
  userId: string;
}

export const sealToken = (keys: Keys, column: TokenColumn, account: AccountRef, token: string) => encrypt(keys, token, tokenContext(column, account.userId, account.id));
export const openToken = (keys: Keys, column: TokenColumn, account: AccountRef, sealed: string) => decrypt(keys, sealed, tokenContext(column, account.userId, account.id));

/** What a token response leaves in the row: sealed tokens, expiry, scopes. A missing refresh token keeps the stored one. */
export function sealedTokenColumns(
  keys: Keys,
  account: AccountRef,
  tokens: { access_token: string; refresh_token?: string | undefined; expires_in?: number | undefined; scope?: string | undefined },
) {
  return {
    accessTokenSealed: sealToken(keys, 'access_token', account, tokens.access_token),
    ...(tokens.refresh_token ? { refreshTokenSealed: sealToken(keys, 'refresh_token', account, tokens.refresh_token) } : {}),
    expiresAt: typeof tokens.expires_in === 'number' ? new Date(Date.now() + tokens.expires_in * 1000) : null,
    ...(tokens.scope ? { scopes: tokens.scope.split(' ').filter(Boolean) } : {}),
  };
}
