import { eq } from 'drizzle-orm';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { hashRefreshToken, looksLikeRefreshToken } from './refresh-token.ts';
import { cookieNames } from './token-cookies.ts';

/**
 * The session this browser's refresh cookie belongs to, live or not, for public procedures that
 * end sessions: they clear the browser's cookies only when its own session was among them.
 */
export async function cookieSessionId(ctx: Context): Promise<string | null> {
  const presented = ctx.cookies.get(cookieNames(ctx.config.auth).refresh);
  if (!presented || !looksLikeRefreshToken(presented)) return null;
  const { refreshTokens } = schema;
  const [row] = await ctx.db
    .select({ sessionId: refreshTokens.sessionId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, hashRefreshToken(presented)))
    .limit(1);
  return row?.sessionId ?? null;
}
