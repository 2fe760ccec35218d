import { and, eq, isNull, sql } from 'drizzle-orm';
import QRCode from 'qrcode';
import type { z } from 'zod';
import { schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import type { AuthState } from './guards.ts';
import { verifyPassword } from './password.ts';
import { enforceRateLimit } from '../../lib/rate-limit/enforce.ts';
import { newTotpSecret, otpauthUri } from './totp.ts';
import { acceptSecondFactor, acceptTotp, replaceRecoveryCodes, sealSecret, twoFactorState } from './two-factor.service.ts';
import type {
  disableTwoFactorInput,
  enableTwoFactorInput,
  recoveryCodesOutput,
  regenerateRecoveryCodesInput,
  setupTwoFactorInput,
  setupTwoFactorOutput,
  twoFactorStatusOutput,
} from './two-factor.schema.ts';

type AuthedContext = Context & { auth: AuthState };


const invalidCode = (field = 'code') =>
  new AppError('BAD_REQUEST', 'invalid_two_factor_code', 'The code is incorrect or was already used.', {
    fieldErrors: { [field]: ['The code is incorrect or was already used. Wait for the next one.'] },
  });

/**
 * Managing 2FA needs the password, not just a session: a stolen access token must not be enough
 * to put the account under the thief's authenticator. Wrong: a field error on `password`.
 */
async function requirePassword(ctx: AuthedContext, password: string): Promise<{ email: string }> {
  const { users } = schema;
  const [user] = await ctx.db.select({ email: users.email, passwordHash: users.passwordHash }).from(users).where(eq(users.id, ctx.auth.userId)).limit(1);
  if (!user || !(await verifyPassword(user.passwordHash, password))) {
    throw new AppError('BAD_REQUEST', 'invalid_password', 'The password is incorrect.', { fieldErrors: { password: ['The password is incorrect.'] } });
  }
  return { email: user.email };
}

export async function twoFactorStatusHandler({ ctx }: { ctx: AuthedContext }): Promise<z.infer<typeof twoFactorStatusOutput>> {
  const state = await twoFactorState(ctx.db, ctx.auth.userId);
  const r = schema.recoveryCodes;
  const [remaining] = await ctx.db
    .select({ n: sql<number>`count(*)::int` })
    .from(r)
    .where(and(eq(r.userId, ctx.auth.userId), isNull(r.usedAt)));
  return { enabled: state?.enabled ?? false, recoveryCodesRemaining: state?.enabled ? (remaining?.n ?? 0) : 0 };
}

/** Starts (or restarts) setup: a new secret that becomes active only when `enable` gets a code. */
export async function setupTwoFactorHandler({ ctx, input }: { ctx: AuthedContext; input: z.infer<typeof setupTwoFactorInput> }): Promise<z.infer<typeof setupTwoFactorOutput>> {
  const userId = ctx.auth.userId;
  // A password check is a guess: counted with the other 2FA management attempts.
  await enforceRateLimit(ctx, 'auth.twoFactorManage', `user:${userId}`);
  const { email } = await requirePassword(ctx, input.password);
  const secret = newTotpSecret();
  const t = schema.userTwoFactor;
  const stored = await ctx.db
    .insert(t)
    .values({ userId, secretEncrypted: sealSecret(ctx.config.encryption.keys, userId, secret) })
    .onConflictDoUpdate({
      target: t.userId,
      set: { secretEncrypted: sql`excluded.secret_encrypted`, lastUsedStep: null, createdAt: sql`now()` },
      setWhere: isNull(t.enabledAt),
    })
    .returning({ userId: t.userId });
  if (stored.length === 0) throw new AppError('CONFLICT', 'two_factor_already_enabled', 'Two-factor authentication is already on.');
  const uri = otpauthUri(secret, email);
  return { secret, otpauthUri: uri, qrCodeDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 240 }) };
}

/** The first code proves the app holds the secret; 2FA is then on and recovery codes are issued once. */
export async function enableTwoFactorHandler({ ctx, input }: { ctx: AuthedContext; input: z.infer<typeof enableTwoFactorInput> }): Promise<z.infer<typeof recoveryCodesOutput>> {
  const userId = ctx.auth.userId;
  await enforceRateLimit(ctx, 'auth.twoFactorManage', `user:${userId}`);
  const state = await twoFactorState(ctx.db, userId);
  if (!state) throw new AppError('BAD_REQUEST', 'two_factor_not_set_up', 'Start the setup first.');
  if (state.enabled) throw new AppError('CONFLICT', 'two_factor_already_enabled', 'Two-factor authentication is already on.');
  const { email } = await requirePassword(ctx, input.password);
  if ((await acceptTotp(ctx, userId, input.code, { enabledOnly: false })) === null) throw invalidCode();
  const recoveryCodes = await replaceRecoveryCodes(ctx.db, userId);
  await recordSecurityEvent(ctx, 'two_factor_enabled', userId);
  await queueMail(ctx.jobs, email, { template: 'two_factor_changed', enabled: true });
  return { recoveryCodes };
}

async function requireSecondFactor(ctx: AuthedContext, code: string) {
  const state = await twoFactorState(ctx.db, ctx.auth.userId);
  if (!state?.enabled) throw new AppError('BAD_REQUEST', 'two_factor_not_enabled', 'Two-factor authentication is not on.');
  const method = await acceptSecondFactor(ctx, ctx.auth.userId, code);
  if (!method) throw invalidCode();
  if (method === 'recovery_code') await recordSecurityEvent(ctx, 'recovery_code_used', ctx.auth.userId);
}

export async function disableTwoFactorHandler({ ctx, input }: { ctx: AuthedContext; input: z.infer<typeof disableTwoFactorInput> }) {
  const userId = ctx.auth.userId;
  await enforceRateLimit(ctx, 'auth.twoFactorManage', `user:${userId}`);
  const user = await requirePassword(ctx, input.password);
  await requireSecondFactor(ctx, input.code);
  await withTransaction(ctx.db, async (tx) => {
    await tx.delete(schema.userTwoFactor).where(eq(schema.userTwoFactor.userId, userId));
    await tx.delete(schema.recoveryCodes).where(eq(schema.recoveryCodes.userId, userId));
  });
  await recordSecurityEvent(ctx, 'two_factor_disabled', userId);
  await queueMail(ctx.jobs, user.email, { template: 'two_factor_changed', enabled: false });
  return { success: true as const };
}

export async function regenerateRecoveryCodesHandler({
  ctx,
  input,
}: {
  ctx: AuthedContext;
  input: z.infer<typeof regenerateRecoveryCodesInput>;
}): Promise<z.infer<typeof recoveryCodesOutput>> {
  await enforceRateLimit(ctx, 'auth.twoFactorManage', `user:${ctx.auth.userId}`);
  await requireSecondFactor(ctx, input.code);
  const recoveryCodes = await replaceRecoveryCodes(ctx.db, ctx.auth.userId);
  await recordSecurityEvent(ctx, 'recovery_codes_regenerated', ctx.auth.userId);
  return { recoveryCodes };
}
