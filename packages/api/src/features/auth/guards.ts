import type { Role } from './permissions.ts';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { verifyAccessToken } from './access-token.ts';
import type { ActiveSession } from './session-cache.ts';
import { authenticateApiKey, recordRefusedKey, type ApiKeyAuth } from '../api-keys/authenticate.ts';
import { looksLikeApiKey } from '../api-keys/key-format.ts';
import type { Scope } from '../api-keys/scopes.ts';
import { cookieNames } from './token-cookies.ts';

export interface AuthState {
  userId: string;
  /** The signed-in session; null for an API key. */
  sessionId: string | null;
  role: Role;
  /** Cookie-borne credentials need the CSRF origin check the transport applies. */
  via: 'bearer' | 'cookie';
  /** Set when an API key authenticated the call: it may use only its scopes. */
  apiKey: ApiKeyAuth | null;
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

/** Verifies the access token and that its session is still live, or the API key (`bst_…`). */
export async function authenticate(ctx: Context): Promise<AuthState> {
  const presented = accessTokenOf(ctx);
  if (!presented) throw unauthorized();
  if (presented.via === 'bearer' && looksLikeApiKey(presented.token)) {
    const { key, auth } = await authenticateApiKey(ctx, presented.token);
    return { userId: key.userId, sessionId: null, role: key.role, via: 'bearer', apiKey: auth };
  }
  const claims = verifyAccessToken(ctx.config.auth, presented.token);
  if (!claims) throw unauthorized();
  const session = await activeSession(ctx, claims.sid, claims.sub);
  if (!session) throw unauthorized();
  return { userId: claims.sub, sessionId: claims.sid, role: session.role, via: presented.via, apiKey: null };
}

/**
 * An API key may call only procedures that declare scopes (`meta.scopes`), and only with all of
 * them. Procedures declaring none (sign-in, sessions, 2FA, passwords, API keys, admin) refuse keys:
 * a leaked key must not be able to take over the account it acts for.
 */
export async function requireScopes(ctx: Context, auth: AuthState, required: readonly Scope[] | undefined): Promise<void> {
  const key = auth.apiKey;
  if (!key) return;
  const reference = { id: key.id, userId: auth.userId, prefix: key.prefix };
  if (!required || required.length === 0) {
    await recordRefusedKey(ctx, reference, 'api_key_not_allowed');
    throw new AppError('FORBIDDEN', 'api_key_not_allowed', 'API keys cannot be used for this; sign in instead.');
  }
  const missing = required.filter((scope) => !key.scopes.includes(scope));
  if (missing.length > 0) {
    await recordRefusedKey(ctx, reference, 'insufficient_scope');
    throw new AppError('FORBIDDEN', 'insufficient_scope', `This API key lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
  }
}

/** The caller's session: only procedures that refuse API keys call this (defence in depth). */
export function sessionIdOf(auth: AuthState): string {
  if (auth.sessionId === null) throw new AppError('FORBIDDEN', 'api_key_not_allowed', 'API keys cannot be used for this; sign in instead.');
  return auth.sessionId;
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
