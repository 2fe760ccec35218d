import type { Role } from './permissions.ts';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { verifyAccessToken } from './access-token.ts';
import type { ActiveSession } from './session-cache.ts';
import { cookieNames } from './token-cookies.ts';

export interface AuthState {
  userId: string;
  sessionId: string;
  role: Role;
  /** Cookie-borne credentials need the CSRF origin check the transport applies. */
  via: 'bearer' | 'cookie';
}

const unauthorized = () => new AppError('UNAUTHORIZED', 'unauthenticated', 'Sign in to continue.');

export function accessTokenOf(ctx: Pick<Context, 'request' | 'cookies' | 'config'>): { token: string; via: AuthState['via'] } | null {
  const header = ctx.request.authorization;
  if (header) {
    const match = /^Bearer ([A-Za-z0-9._-]+)$/.exec(header);
    return match?.[1] ? { token: match[1], via: 'bearer' } : null;
  }
  const cookie = ctx.cookies.get(cookieNames(ctx.config.auth).access);
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

async function activeSession(ctx: Context, sessionId: string, userId: string): Promise<ActiveSession | null> {
  const cached = ctx.sessionCache.get(sessionId);
  if (cached !== undefined) return cached;
  const rows = await ctx.db
    .select({ role: schema.users.role })
    .from(schema.sessions)
    .innerJoin(schema.users, eq(schema.users.id, schema.sessions.userId))
    .where(
      and(
        eq(schema.sessions.id, sessionId),
        eq(schema.sessions.userId, userId),
        isNull(schema.sessions.revokedAt),
        gt(schema.sessions.expiresAt, sql`now()`),
        isNull(schema.users.disabledAt),
      ),
    )
    .limit(1);
  const session = rows[0] ?? null;
  ctx.sessionCache.set(sessionId, session);
  return session;
}

/** Verifies the access token and that its session is still live. */
export async function authenticate(ctx: Context): Promise<AuthState> {
  const presented = accessTokenOf(ctx);
  if (!presented) throw unauthorized();
  const claims = verifyAccessToken(ctx.config.auth, presented.token);
  if (!claims) throw unauthorized();
  const session = await activeSession(ctx, claims.sid, claims.sub);
  if (!session) throw unauthorized();
  return { userId: claims.sub, sessionId: claims.sid, role: session.role, via: presented.via };
}

/** Read from the database on each call: verification must count at once, not after a cache expires. */
export async function requireVerifiedEmail(ctx: Pick<Context, 'db'>, userId: string): Promise<void> {
  const [user] = await ctx.db
    .select({ verifiedAt: schema.users.emailVerifiedAt })
    .from(schema.users)
    .where(eq(schema.users.id, userId))
    .limit(1);
  if (!user?.verifiedAt) {
    throw new AppError('FORBIDDEN', 'email_not_verified', 'Confirm your email address first: use the link we sent you, or ask for a new one.');
  }
}
