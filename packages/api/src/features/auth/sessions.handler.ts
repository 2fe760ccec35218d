import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { sessionIdOf, type AuthState } from './guards.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { describeDevice } from './device.ts';
import { endUserSessions, revokeSession } from './session.service.ts';
import type { listSessionsOutput, logoutAllInput, revokedCountOutput, revokeSessionInput } from './sessions.schema.ts';
import { clearTokenCookies } from './token-cookies.ts';

type AuthedContext = Context & { auth: AuthState };

/** The caller's live sessions, most recently used first. */
export async function listSessionsHandler({ ctx }: { ctx: AuthedContext }): Promise<z.infer<typeof listSessionsOutput>> {
  const { sessions } = schema;
  const rows = await ctx.db
    .select({ id: sessions.id, userAgent: sessions.userAgent, ip: sessions.ip, createdAt: sessions.createdAt, lastUsedAt: sessions.lastUsedAt })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, ctx.auth.userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql`now()`),
        gt(sessions.lastUsedAt, sql`now() - make_interval(secs => ${ctx.config.auth.sessionIdleTimeoutSeconds})`),
      ),
    )
    .orderBy(desc(sessions.lastUsedAt), desc(sessions.id));
  return rows.map((row) => ({
    id: row.id,
    current: row.id === ctx.auth.sessionId,
    device: describeDevice(row.userAgent),
    ip: row.ip,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt.toISOString(),
  }));
}

/** Ends one of the caller's sessions; another user's (or an unknown) id is NOT_FOUND. */
export async function revokeSessionHandler({ ctx, input }: { ctx: AuthedContext; input: z.infer<typeof revokeSessionInput> }) {
  const revoked = await revokeSession(ctx, ctx.auth.userId, input.sessionId, 'revoked_by_user');
  if (!revoked) throw new AppError('NOT_FOUND', 'session_not_found', 'This session does not exist or has already ended.');
  await recordSecurityEvent(ctx, 'session_revoked', ctx.auth.userId, { sessionId: input.sessionId });
  if (input.sessionId === ctx.auth.sessionId) clearTokenCookies(ctx.cookies, ctx.config.auth);
  return { success: true as const };
}

export async function logoutAllHandler({ ctx, input }: { ctx: AuthedContext; input: z.infer<typeof logoutAllInput> }): Promise<z.infer<typeof revokedCountOutput>> {
  const exceptCurrent = input?.exceptCurrent ?? false;
  const ids = await endUserSessions(ctx, ctx.auth.userId, 'logout_all', exceptCurrent ? { exceptSessionId: sessionIdOf(ctx.auth) } : {});
  await recordSecurityEvent(ctx, 'sessions_revoked', ctx.auth.userId, { count: ids.length, exceptCurrent });
  if (!exceptCurrent) clearTokenCookies(ctx.cookies, ctx.config.auth);
  return { revoked: ids.length };
}
