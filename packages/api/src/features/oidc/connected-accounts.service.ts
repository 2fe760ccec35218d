import { and, asc, count, eq } from 'drizzle-orm';
import * as oidc from 'openid-client';
import type { z } from 'zod';
import { schema, type Transaction } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { Logger } from 'pino';
import type { AuthState } from '../auth/guards.ts';
import { recordSecurityEvent } from '../security/events.ts';
import type { connectedAccountOutput, disconnectInput } from './connected-accounts.schema.ts';
import { PROVIDERS, providerClient, providerErrorCode, providerSettings } from './provider.ts';
import { openToken } from './tokens.ts';

type AuthedContext = Context & { auth: AuthState };
const a = schema.connectedAccounts;

export async function listConnectedAccounts({ ctx }: { ctx: AuthedContext }): Promise<z.infer<typeof connectedAccountOutput>[]> {
  const rows = await ctx.db
    .select({ id: a.id, provider: a.provider, email: a.email, scopes: a.scopes, status: a.status, expiresAt: a.expiresAt, lastRefreshedAt: a.lastRefreshedAt })
    .from(a)
    .where(eq(a.userId, ctx.auth.userId))
    .orderBy(asc(a.createdAt));
  return rows.flatMap((row) => {
    const provider = PROVIDERS.find((p) => p === row.provider);
    return provider ? [{ ...row, provider, expiresAt: row.expiresAt?.toISOString() ?? null, lastRefreshedAt: row.lastRefreshedAt?.toISOString() ?? null }] : [];
  });
}

/**
 * Revokes the account's tokens at the provider (when it has a revocation endpoint; best effort —
 * the link is cut here either way), then deletes the row and its sealed tokens. The last way to
 * sign in of an account without a password cannot be cut.
 */
export async function disconnectConnectedAccount({ ctx, input }: { ctx: AuthedContext; input: z.infer<typeof disconnectInput> }): Promise<{ success: true }> {
  const userId = ctx.auth.userId;
  const [account] = await ctx.db
    .select({ id: a.id, userId: a.userId, provider: a.provider, accessTokenSealed: a.accessTokenSealed, refreshTokenSealed: a.refreshTokenSealed })
    .from(a)
    .where(and(eq(a.id, input.id), eq(a.userId, userId)))
    .limit(1);
  if (!account) throw new AppError('NOT_FOUND', 'not_found', 'This connected account does not exist.');
  const [user] = await ctx.db.select({ passwordHash: schema.users.passwordHash }).from(schema.users).where(eq(schema.users.id, userId)).limit(1);
  const [others] = await ctx.db.select({ n: count() }).from(a).where(eq(a.userId, userId));
  if (user?.passwordHash === null && (others?.n ?? 0) <= 1) {
    throw new AppError('FORBIDDEN', 'last_sign_in_method', 'This is your only way to sign in. Set a password first, then disconnect it.');
  }
  await revokeAtProvider(ctx.config, ctx.log, account);
  await ctx.db.delete(a).where(and(eq(a.id, account.id), eq(a.userId, userId)));
  await recordSecurityEvent(ctx, 'connected_account_disconnected', userId, { provider: account.provider, accountId: account.id });
  return { success: true };
}

/** Best effort: a provider that is down must not keep the user from cutting the link here. */
export async function revokeAtProvider(
  config: AppConfig,
  log: Logger,
  account: { id: string; userId: string; provider: string; accessTokenSealed: string | null; refreshTokenSealed: string | null },
): Promise<void> {
  const provider = PROVIDERS.find((p) => p === account.provider);
  const settings = provider ? providerSettings(config, provider) : null;
  if (!settings) return;
  try {
    const client = await providerClient(settings);
    if (!client.serverMetadata().revocation_endpoint) return;
    // Revoking the refresh token ends the grant (Google revokes its access tokens with it).
    const [column, sealed] = account.refreshTokenSealed ? (['refresh_token', account.refreshTokenSealed] as const) : (['access_token', account.accessTokenSealed] as const);
    if (!sealed) return;
    await oidc.tokenRevocation(client, openToken(config.encryption.keys, column, account, sealed), { token_type_hint: column });
  } catch (error) {
    log.warn({ provider, accountId: account.id, error: providerErrorCode(error) }, 'provider token revocation failed; the account is disconnected anyway');
  }
}

/** The erasure's part: every account's tokens revoked at the provider, then gone with the rows. */
export async function eraseConnectedAccounts(tx: Transaction, userId: string, deps: { config: AppConfig; logger: Logger }): Promise<void> {
  const accounts = await tx
    .select({ id: a.id, userId: a.userId, provider: a.provider, accessTokenSealed: a.accessTokenSealed, refreshTokenSealed: a.refreshTokenSealed })
    .from(a)
    .where(eq(a.userId, userId));
  for (const account of accounts) await revokeAtProvider(deps.config, deps.logger, account);
  await tx.delete(a).where(eq(a.userId, userId));
}
