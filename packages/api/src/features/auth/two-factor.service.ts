import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { schema, type Transaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { decrypt, encrypt, type EncryptionKey } from '../../lib/crypto/key-ring.ts';
import { hashRecoveryCode, isTotpCode, matchingStep, newRecoveryCodes } from './totp.ts';

type Db = Context['db'] | Transaction;
type Keys = readonly EncryptionKey[];

/** Associated data: a sealed secret only opens for the user it was sealed for. */
export const secretContext = (userId: string) => `totp:${userId}`;

export const sealSecret = (keys: Keys, userId: string, secret: string) => encrypt(keys, secret, secretContext(userId));
export const openSecret = (keys: Keys, userId: string, sealed: string) => decrypt(keys, sealed, secretContext(userId));

export async function twoFactorState(db: Db, userId: string): Promise<{ secretEncrypted: string; enabled: boolean } | null> {
  const t = schema.userTwoFactor;
  const [row] = await db.select({ secretEncrypted: t.secretEncrypted, enabledAt: t.enabledAt }).from(t).where(eq(t.userId, userId)).limit(1);
  return row ? { secretEncrypted: row.secretEncrypted, enabled: row.enabledAt !== null } : null;
}

/**
 * Accepts a TOTP code once: its step is stored in the same statement that checks that it is newer
 * than the last accepted one, so a replayed (or parallel) use of the code fails.
 */
export async function acceptTotp(ctx: Pick<Context, 'db' | 'config'>, userId: string, code: string, { enabledOnly = true } = {}): Promise<number | null> {
  const state = await twoFactorState(ctx.db, userId);
  if (!state || (enabledOnly && !state.enabled)) return null;
  const step = matchingStep(openSecret(ctx.config.encryption.keys, userId, state.secretEncrypted), code);
  if (step === null) return null;
  const t = schema.userTwoFactor;
  const accepted = await ctx.db
    .update(t)
    .set({ lastUsedStep: step, ...(enabledOnly ? {} : { enabledAt: sql`coalesce(${t.enabledAt}, now())` }) })
    .where(
      and(
        eq(t.userId, userId),
        eq(t.secretEncrypted, state.secretEncrypted),
        enabledOnly ? isNotNull(t.enabledAt) : isNull(t.enabledAt),
        or(isNull(t.lastUsedStep), lt(t.lastUsedStep, step)),
      ),
    )
    .returning({ userId: t.userId });
  return accepted.length > 0 ? step : null;
}

/** Uses one recovery code of the user (once). */
export async function acceptRecoveryCode(db: Db, userId: string, code: string): Promise<boolean> {
  const r = schema.recoveryCodes;
  const used = await db
    .update(r)
    .set({ usedAt: sql`now()` })
    .where(and(eq(r.userId, userId), eq(r.codeHash, hashRecoveryCode(code)), isNull(r.usedAt)))
    .returning({ id: r.id });
  return used.length > 0;
}

/** A second factor for an enabled user: a fresh TOTP code or an unused recovery code. */
export async function acceptSecondFactor(ctx: Pick<Context, 'db' | 'config'>, userId: string, code: string): Promise<'totp' | 'recovery_code' | null> {
  const trimmed = code.trim();
  if (isTotpCode(trimmed)) return (await acceptTotp(ctx, userId, trimmed)) !== null ? 'totp' : null;
  const state = await twoFactorState(ctx.db, userId);
  if (!state?.enabled) return null;
  return (await acceptRecoveryCode(ctx.db, userId, trimmed)) ? 'recovery_code' : null;
}

/** Replaces the user's recovery codes; the plain codes are returned once and never stored. */
export async function replaceRecoveryCodes(db: Db, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await db.delete(schema.recoveryCodes).where(eq(schema.recoveryCodes.userId, userId));
  await db.insert(schema.recoveryCodes).values(codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code) })));
  return codes;
}
