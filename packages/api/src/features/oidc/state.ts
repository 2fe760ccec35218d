import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import * as oidc from 'openid-client';
import { schema } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { Context, CookieJar, CookieOptions } from '../../context.ts';
import { decrypt, encrypt } from '../../lib/crypto/key-ring.ts';
import type { ProviderId } from './provider.ts';

/** An authorization request is good for 10 minutes, once. */
export const STATE_TTL_SECONDS = 10 * 60;

const hash = (value: string) => createHash('sha256').update(value).digest('base64url');
export const verifierContext = (stateId: string) => `oauth_states:code_verifier:${stateId}`;

export function stateCookieName(config: AppConfig['auth']): string {
  return `${config.secureCookies ? '__Host-' : ''}bastion_oauth`;
}

/**
 * Lax, not Strict like the session cookies: the callback is a top-level navigation from the
 * provider's site, and this cookie is what ties it to the browser that started the sign-in.
 */
function stateCookieOptions(config: AppConfig['auth'], maxAgeSeconds?: number): CookieOptions {
  return { httpOnly: true, secure: config.secureCookies, sameSite: 'lax', path: '/', maxAgeSeconds };
}

export function clearStateCookie(cookies: CookieJar, config: AppConfig['auth']): void {
  cookies.clear(stateCookieName(config), stateCookieOptions(config));
}

export interface NewState {
  state: string;
  nonce: string;
  codeChallenge: string;
}

/** Stores a new authorization request and binds it to this browser with the state cookie. */
export async function createState(
  ctx: Pick<Context, 'db' | 'config' | 'cookies'>,
  request: { provider: ProviderId; intent: 'signin' | 'link'; userId: string | null; redirectTo: string },
): Promise<NewState> {
  const id = randomUUID();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const binding = randomBytes(32).toString('base64url');
  const s = schema.oauthStates;
  // Requests nobody finished are kept an hour past their expiry (the callback can say "expired"), then go.
  await ctx.db.delete(s).where(lt(s.expiresAt, sql`now() - interval '1 hour'`));
  await ctx.db.insert(s).values({
    id,
    stateHash: hash(state),
    bindingHash: hash(binding),
    provider: request.provider,
    intent: request.intent,
    userId: request.userId,
    codeVerifierSealed: encrypt(ctx.config.encryption.keys, verifier, verifierContext(id)),
    nonce,
    redirectTo: request.redirectTo,
    expiresAt: sql`now() + make_interval(secs => ${STATE_TTL_SECONDS})`,
  });
  ctx.cookies.set(stateCookieName(ctx.config.auth), binding, stateCookieOptions(ctx.config.auth, STATE_TTL_SECONDS));
  return { state, nonce, codeChallenge: await oidc.calculatePKCECodeChallenge(verifier) };
}

export interface ConsumedState {
  provider: string;
  intent: 'signin' | 'link';
  userId: string | null;
  codeVerifier: string;
  nonce: string;
  redirectTo: string;
}

export type StateFailure = 'missing_state' | 'state_cookie_missing' | 'state_mismatch' | 'state_used' | 'state_expired';

/**
 * The callback's state, checked and used up: present, from the browser that started it (the
 * cookie), never used, not expired. It is consumed atomically, so a replay (or a parallel second
 * use) fails even if both arrive together.
 */
export async function consumeState(
  ctx: Pick<Context, 'db' | 'config' | 'cookies'>,
  provider: ProviderId,
  presented: string | null,
): Promise<{ ok: true; state: ConsumedState } | { ok: false; reason: StateFailure }> {
  if (!presented) return { ok: false, reason: 'missing_state' };
  const binding = ctx.cookies.get(stateCookieName(ctx.config.auth));
  if (!binding) return { ok: false, reason: 'state_cookie_missing' };
  const s = schema.oauthStates;
  const [row] = await ctx.db
    .select({
      id: s.id,
      bindingHash: s.bindingHash,
      provider: s.provider,
      consumed: sql<boolean>`${s.consumedAt} is not null`,
      expired: sql<boolean>`${s.expiresAt} <= now()`,
    })
    .from(s)
    .where(eq(s.stateHash, hash(presented)))
    .limit(1);
  if (!row || row.bindingHash !== hash(binding) || row.provider !== provider) return { ok: false, reason: 'state_mismatch' };
  if (row.consumed) return { ok: false, reason: 'state_used' };
  if (row.expired) return { ok: false, reason: 'state_expired' };
  const [used] = await ctx.db
    .update(s)
    .set({ consumedAt: sql`now()` })
    .where(and(eq(s.id, row.id), sql`${s.consumedAt} is null`, sql`${s.expiresAt} > now()`))
    .returning({ intent: s.intent, userId: s.userId, codeVerifierSealed: s.codeVerifierSealed, nonce: s.nonce, redirectTo: s.redirectTo });
  if (!used) return { ok: false, reason: 'state_used' };
  return {
    ok: true,
    state: {
      provider: row.provider,
      intent: used.intent,
      userId: used.userId,
      codeVerifier: decrypt(ctx.config.encryption.keys, used.codeVerifierSealed, verifierContext(row.id)),
      nonce: used.nonce,
      redirectTo: used.redirectTo,
    },
  };
}
