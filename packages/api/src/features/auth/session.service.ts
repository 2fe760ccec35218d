import type { Role } from './permissions.ts';
import { and, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import { schema, withTransaction, type Transaction } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { signAccessToken } from './access-token.ts';
import { childRefreshToken, hashRefreshToken, looksLikeRefreshToken, newRefreshToken } from './refresh-token.ts';
import { announceRevokedSessions } from './session-revocation.ts';

export interface IssuedTokens {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
}

/** How far a replayed parent may be followed down its deterministic lineage inside the grace window. */
const MAX_GRACE_HOPS = 5;

const invalidRefresh = () => new AppError('UNAUTHORIZED', 'invalid_refresh_token', 'Your session has ended. Sign in again.');

/** Opens a session for a user who just proved who they are, and issues its first tokens. */
export async function openSession(ctx: Context, user: { id: string; role: Role }): Promise<IssuedTokens> {
  const refreshToken = newRefreshToken();
  const sessionId = await withTransaction(ctx.db, async (tx) => {
    const [session] = await tx
      .insert(schema.sessions)
      .values({
        userId: user.id,
        userAgent: ctx.request.userAgent?.slice(0, 512) ?? null,
        ip: ctx.request.ip,
        expiresAt: sql`now() + make_interval(secs => ${ctx.config.auth.sessionAbsoluteTimeoutSeconds})`,
      })
      .returning({ id: schema.sessions.id });
    if (!session) throw new Error('session insert returned nothing');
    await tx.insert(schema.refreshTokens).values({ sessionId: session.id, tokenHash: hashRefreshToken(refreshToken) });
    return session.id;
  });
  const access = signAccessToken(ctx.config.auth, { userId: user.id, sessionId, role: user.role });
  return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken };
}

type RotationOutcome =
  | { kind: 'rotated'; refreshToken: string; userId: string; sessionId: string; role: Role }
  | { kind: 'reused'; userId: string; sessionId: string }
  | { kind: 'invalid' };

/**
 * Exchanges a refresh token for a new pair. The token row is locked, so parallel calls with one
 * token serialize: the first rotates, the others (inside the grace window) receive the same child.
 * A rotated token presented after the window revokes the whole session (reuse detection).
 */
export async function rotateRefreshToken(ctx: Context, presented: string): Promise<IssuedTokens> {
  if (!looksLikeRefreshToken(presented)) throw invalidRefresh();
  const outcome = await withTransaction(ctx.db, (tx) => rotateInTransaction(ctx, tx, presented));
  if (outcome.kind === 'reused') {
    await announceRevokedSessions(ctx, [outcome.sessionId]);
    ctx.log.warn({ userId: outcome.userId, sessionId: outcome.sessionId }, 'refresh token reuse: session revoked');
    throw invalidRefresh();
  }
  if (outcome.kind === 'invalid') throw invalidRefresh();
  const access = signAccessToken(ctx.config.auth, outcome);
  return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken: outcome.refreshToken };
}

async function rotateInTransaction(ctx: Context, tx: Transaction, presented: string): Promise<RotationOutcome> {
  const { refreshTokens, sessions, users } = schema;
  const [row] = await tx
    .select({
      id: refreshTokens.id,
      usedAt: refreshTokens.usedAt,
      revokedAt: refreshTokens.revokedAt,
      sessionId: sessions.id,
      userId: sessions.userId,
      role: users.role,
      live: sql<boolean>`${sessions.revokedAt} is null
        and ${sessions.expiresAt} > now()
        and ${sessions.lastUsedAt} > now() - make_interval(secs => ${ctx.config.auth.sessionIdleTimeoutSeconds})
        and ${users.disabledAt} is null`,
      withinGrace: sql<boolean>`coalesce(${refreshTokens.usedAt} > now() - make_interval(secs => ${ctx.config.auth.refreshGraceSeconds}), false)`,
    })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(refreshTokens.tokenHash, hashRefreshToken(presented)))
    .for('update', { of: refreshTokens })
    .limit(1);
  if (!row || row.revokedAt || !row.live) return { kind: 'invalid' };
  const subject = { userId: row.userId, sessionId: row.sessionId, role: row.role };

  if (!row.usedAt) {
    const child = childRefreshToken(ctx.config.auth.refreshTokenSecret, presented);
    await tx.update(refreshTokens).set({ usedAt: sql`now()` }).where(eq(refreshTokens.id, row.id));
    await tx.insert(refreshTokens).values({ sessionId: row.sessionId, parentId: row.id, tokenHash: hashRefreshToken(child) });
    await tx.update(sessions).set({ lastUsedAt: sql`now()` }).where(eq(sessions.id, row.sessionId));
    return { kind: 'rotated', refreshToken: child, ...subject };
  }

  if (row.withinGrace) {
    const live = await liveDescendant(ctx, tx, presented, row.sessionId);
    if (live) return { kind: 'rotated', refreshToken: live, ...subject };
  }

  await revokeSessionInTransaction(tx, row.sessionId, 'refresh_token_reuse');
  await recordSecurityEvent({ ...ctx, db: tx }, 'refresh_token_reused', row.userId, { sessionId: row.sessionId });
  return { kind: 'reused', userId: row.userId, sessionId: row.sessionId };
}

/** Follows the derived lineage of a just-rotated token to its unused descendant, if still in grace. */
async function liveDescendant(ctx: Context, tx: Transaction, parent: string, sessionId: string): Promise<string | null> {
  const { refreshTokens } = schema;
  let token = parent;
  for (let hop = 0; hop < MAX_GRACE_HOPS; hop++) {
    token = childRefreshToken(ctx.config.auth.refreshTokenSecret, token);
    const [child] = await tx
      .select({
        usedAt: refreshTokens.usedAt,
        revokedAt: refreshTokens.revokedAt,
        withinGrace: sql<boolean>`coalesce(${refreshTokens.usedAt} > now() - make_interval(secs => ${ctx.config.auth.refreshGraceSeconds}), false)`,
      })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.tokenHash, hashRefreshToken(token)), eq(refreshTokens.sessionId, sessionId)))
      .limit(1);
    if (!child || child.revokedAt) return null;
    if (!child.usedAt) return token;
    if (!child.withinGrace) return null;
  }
  return null;
}

async function revokeSessionInTransaction(tx: Transaction, sessionId: string, reason: string): Promise<boolean> {
  const { refreshTokens, sessions } = schema;
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  await tx
    .update(refreshTokens)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.revokedAt)));
  return revoked.length > 0;
}

/** Ends one session of `userId` (scoped: another user's session id changes nothing). */
export async function revokeSession(ctx: Context, userId: string, sessionId: string, reason: string): Promise<boolean> {
  const revoked = await withTransaction(ctx.db, async (tx) => {
    const [owned] = await tx
      .select({ id: schema.sessions.id })
      .from(schema.sessions)
      .where(and(eq(schema.sessions.id, sessionId), eq(schema.sessions.userId, userId)))
      .limit(1);
    return owned ? revokeSessionInTransaction(tx, sessionId, reason) : false;
  });
  if (revoked) await announceRevokedSessions(ctx, [sessionId]);
  return revoked;
}

/**
 * Ends every live session of `userId` (all but `exceptSessionId`, when given) and their refresh
 * tokens; returns the ids it ended. Works on a transaction too, so that a password change and the
 * revocation commit together — the caller then announces the ids once committed.
 */
export async function revokeUserSessions(
  db: Transaction | Context['db'],
  userId: string,
  reason: string,
  options: { exceptSessionId?: string } = {},
): Promise<string[]> {
  const { refreshTokens, sessions } = schema;
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        options.exceptSessionId ? ne(sessions.id, options.exceptSessionId) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  const ids = revoked.map((row) => row.id);
  if (ids.length > 0) {
    await db
      .update(refreshTokens)
      .set({ revokedAt: sql`now()`, revokedReason: reason })
      .where(and(inArray(refreshTokens.sessionId, ids), isNull(refreshTokens.revokedAt)));
  }
  return ids;
}

/** `revokeUserSessions` in its own statement pair, announced to every instance. */
export async function endUserSessions(ctx: Context, userId: string, reason: string, options: { exceptSessionId?: string } = {}): Promise<string[]> {
  const ids = await withTransaction(ctx.db, (tx) => revokeUserSessions(tx, userId, reason, options));
  await announceRevokedSessions(ctx, ids);
  return ids;
}
