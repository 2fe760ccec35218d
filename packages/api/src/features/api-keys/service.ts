import { and, count, desc, eq, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { postgresErrorOf, schema, withTransaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AuthState } from '../auth/guards.ts';
import { recordAudit, userActor } from '../audit/audit.service.ts';
import { recordSecurityEvent } from '../security/events.ts';
import type { ApiKeyDto, createApiKeyInput, createApiKeyOutput } from './api-keys.schema.ts';
import { hashSecret, newApiKey } from './key-format.ts';
import { isScope } from './scopes.ts';

type AuthedContext = Context & { auth: AuthState };

/** Live (unrevoked) keys per user: enough for many services, few enough to review. */
export const MAX_ACTIVE_KEYS = 50;

const k = schema.apiKeys;
const columns = {
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  prefix: k.prefix,
  createdAt: k.createdAt,
  expiresAt: k.expiresAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
};

interface Row {
  id: string;
  name: string;
  scopes: string[];
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function toDto(row: Row): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.filter(isScope),
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** Creates a key; the secret is in the answer only, its HMAC in the row, never in a log. */
export async function createApiKey(ctx: AuthedContext, input: z.infer<typeof createApiKeyInput>): Promise<z.infer<typeof createApiKeyOutput>> {
  const [active] = await ctx.db
    .select({ n: count() })
    .from(k)
    .where(and(eq(k.userId, ctx.auth.userId), isNull(k.revokedAt)));
  if ((active?.n ?? 0) >= MAX_ACTIVE_KEYS) {
    throw new AppError('CONFLICT', 'api_key_limit', `You have ${MAX_ACTIVE_KEYS} active keys. Revoke one you no longer use first.`);
  }
  const ring = ctx.config.encryption.keys[0];
  if (!ring) throw new Error('no encryption key configured');
  // A prefix collision (47 random bits) is astronomically rare; one retry covers it.
  for (let attempt = 0; ; attempt++) {
    const generated = newApiKey();
    try {
      const row = await withTransaction(ctx.db, async (tx) => {
        const [inserted] = await tx
          .insert(k)
          .values({
          userId: ctx.auth.userId,
          name: input.name,
          prefix: generated.prefix,
          secretHash: hashSecret(ring, generated.prefix, generated.secret),
          hashKid: ring.kid,
          scopes: input.scopes,
          expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
          })
          .returning(columns);
        await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'api_key.created', subjectId: ctx.auth.userId, detail: { keyId: inserted!.id, prefix: inserted!.prefix, scopes: inserted!.scopes } });
        return inserted!;
      });
      const dto = toDto(row);
      // Another instance may have cached this prefix as unknown (a guess): forget it everywhere.
      await ctx.apiKeys.announceChanged({ bus: ctx.bus, logger: ctx.log }, [dto.prefix]);
      await recordSecurityEvent(ctx, 'api_key_created', ctx.auth.userId, { keyId: dto.id, prefix: dto.prefix, scopes: dto.scopes });
      ctx.log.info({ apiKeyPrefix: dto.prefix, scopes: dto.scopes }, 'API key created');
      return { id: dto.id, name: dto.name, scopes: dto.scopes, prefix: dto.prefix, createdAt: dto.createdAt, expiresAt: dto.expiresAt, key: generated.key };
    } catch (error) {
      const pg = postgresErrorOf(error);
      if (attempt === 0 && pg?.code === '23505' && pg.constraint_name === 'api_keys_prefix_key') continue;
      throw error;
    }
  }
}

/** The caller's keys, newest first, revoked ones included (they say when they stopped). */
export async function listApiKeys(ctx: AuthedContext): Promise<ApiKeyDto[]> {
  const rows = await ctx.db.select(columns).from(k).where(eq(k.userId, ctx.auth.userId)).orderBy(desc(k.createdAt), desc(k.id)).limit(200);
  return rows.map(toDto);
}

/** Revokes one of the caller's keys at once on every instance; another user's id is NOT_FOUND. */
export async function revokeApiKey(ctx: AuthedContext, id: string): Promise<void> {
  const row = await withTransaction(ctx.db, async (tx) => {
    const [revoked] = await tx
      .update(k)
      .set({ revokedAt: sql`coalesce(${k.revokedAt}, now())` })
      .where(and(eq(k.id, id), eq(k.userId, ctx.auth.userId)))
      .returning({ id: k.id, prefix: k.prefix });
    if (!revoked) throw new AppError('NOT_FOUND', 'api_key_not_found', 'This API key does not exist.');
    await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'api_key.revoked', subjectId: ctx.auth.userId, detail: { keyId: revoked.id, prefix: revoked.prefix } });
    return revoked;
  });
  await ctx.apiKeys.announceChanged({ bus: ctx.bus, logger: ctx.log }, [row.prefix]);
  await recordSecurityEvent(ctx, 'api_key_revoked', ctx.auth.userId, { keyId: row.id, prefix: row.prefix });
  ctx.log.info({ apiKeyPrefix: row.prefix }, 'API key revoked');
}

/** Forgets a user's cached keys on every instance (their owner was disabled). */
export async function announceUserKeysChanged(ctx: Pick<Context, 'db' | 'bus' | 'apiKeys' | 'logger'>, userId: string): Promise<void> {
  const rows = await ctx.db.select({ prefix: k.prefix }).from(k).where(eq(k.userId, userId));
  if (rows.length > 0) await ctx.apiKeys.announceChanged({ bus: ctx.bus, logger: ctx.logger }, rows.map((row) => row.prefix));
}
