import { and, eq, sql } from 'drizzle-orm';
import * as oidc from 'openid-client';
import { postgresErrorOf, schema, withTransaction } from '@bastion/db';
import { createContextInner, type AppDeps, type Context, type CookieJar, type RequestInfo } from '../../context.ts';
import { enforceRateLimits } from '../../lib/rate-limit/enforce.ts';
import { clientKey } from '../../lib/rate-limit/client-key.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { rememberDevice } from '../auth/device-cookie.ts';
import { openLoginChallenge } from '../auth/login2fa.handler.ts';
import { openSession } from '../auth/session.service.ts';
import { setTokenCookies } from '../auth/token-cookies.ts';
import { twoFactorState } from '../auth/two-factor.service.ts';
import { callbackUrl, PROVIDERS, providerClient, providerSettings, type ProviderId } from './provider.ts';
import { clearStateCookie, consumeState, type ConsumedState, type StateFailure } from './state.ts';
import { sealedTokenColumns } from './tokens.ts';

/** The stable reasons `/sign-in?error=<reason>` shows; never the provider's own text. */
export type CallbackFailure =
  | StateFailure
  | 'rate_limited'
  | 'provider_not_configured'
  | 'provider_unavailable'
  | 'access_denied'
  | 'provider_error'
  | 'token_exchange_failed'
  | 'invalid_id_token'
  | 'email_missing'
  | 'email_not_verified'
  | 'account_exists'
  | 'account_disabled'
  | 'already_linked'
  | 'provider_already_linked'
  | 'server_error';

const MAX_CLOCK_SKEW_SECONDS = 60;

type Tokens = Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
type Outcome = { ok: true; location: string } | { ok: false; reason: CallbackFailure; userId?: string | null };

const fail = (reason: CallbackFailure, userId: string | null = null): Outcome => ({ ok: false, reason, userId });

/**
 * `GET /auth/oauth/<provider>/callback` (mounted by the server's app.ts). Answers with where to
 * send the browser: `redirectTo` on success, `/sign-in?error=<reason>` on any failure (recorded
 * as a security event), `/sign-in#challenge=<id>` when the account's second factor is still due.
 */
export async function handleOAuthCallback(deps: AppDeps, request: RequestInfo, cookies: CookieJar, providerParam: string, query: URLSearchParams): Promise<{ location: string }> {
  const ctx = createContextInner({ deps, request, cookies });
  let outcome: Outcome;
  try {
    outcome = await callback(ctx, providerParam, query);
  } catch (error) {
    ctx.log.error({ err: error, provider: providerParam }, 'OpenID Connect callback failed');
    outcome = fail('server_error');
  }
  clearStateCookie(cookies, deps.config.auth);
  if (outcome.ok) return { location: outcome.location };
  await recordSecurityEvent(ctx, 'oauth_failed', outcome.userId ?? null, { provider: PROVIDERS.find((p) => p === providerParam) ?? 'unknown', reason: outcome.reason });
  return { location: `/sign-in?error=${outcome.reason}` };
}

async function callback(ctx: Context, providerParam: string, query: URLSearchParams): Promise<Outcome> {
  try {
    await enforceRateLimits(ctx, [
      { policy: 'global', key: clientKey(ctx.request.ip) },
      { policy: 'auth.oauth', key: clientKey(ctx.request.ip) },
    ]);
  } catch {
    return fail('rate_limited');
  }
  const provider = PROVIDERS.find((p) => p === providerParam);
  const settings = provider ? providerSettings(ctx.config, provider) : null;
  if (!provider || !settings) return fail('provider_not_configured');

  const presentedState = query.get('state');
  const consumed = await consumeState(ctx, provider, presentedState);
  if (!consumed.ok) return fail(consumed.reason);
  const state = consumed.state;
  if (query.has('error')) return fail(query.get('error') === 'access_denied' ? 'access_denied' : 'provider_error', state.userId);

  let client: oidc.Configuration;
  try {
    client = await providerClient(settings);
  } catch (error) {
    ctx.log.error({ err: error, provider }, 'OpenID Connect discovery failed');
    return fail('provider_unavailable', state.userId);
  }
  // Rebuilt from our own origin: the redirect_uri sent with the code must be the registered one.
  const currentUrl = new URL(callbackUrl(ctx.config, provider));
  currentUrl.search = query.toString();
  let tokens: Tokens;
  try {
    tokens = await oidc.authorizationCodeGrant(client, currentUrl, {
      pkceCodeVerifier: state.codeVerifier,
      expectedState: presentedState ?? '',
      expectedNonce: state.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    const exchange = error instanceof oidc.ResponseBodyError || error instanceof TypeError || (error as { cause?: { status?: unknown } }).cause?.status !== undefined;
    // The error's name only: provider bodies stay out of the logs.
    ctx.log.warn({ provider, error: error instanceof Error ? error.name : 'unknown', code: (error as { code?: unknown }).code }, 'OpenID Connect code exchange refused');
    return fail(exchange ? 'token_exchange_failed' : 'invalid_id_token', state.userId);
  }
  const claims = tokens.claims();
  // openid-client requires `iat`; one from the future (beyond a minute of clock skew) is refused too.
  if (!claims?.sub || claims.iat > Math.floor(Date.now() / 1000) + MAX_CLOCK_SKEW_SECONDS) return fail('invalid_id_token', state.userId);
  return settle(ctx, provider, state, tokens, {
    subject: claims.sub,
    email: typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null,
    emailVerified: claims.email_verified === true,
    name: typeof claims.name === 'string' ? claims.name.slice(0, 100) : null,
  });
}

interface Identity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** The four outcomes: a known subject signs in (or re-links), a link, a refusal to auto-link, a new account. */
async function settle(ctx: Context, provider: ProviderId, state: ConsumedState, tokens: Tokens, identity: Identity): Promise<Outcome> {
  const a = schema.connectedAccounts;
  const keys = ctx.config.encryption.keys;
  const [known] = await ctx.db
    .select({ id: a.id, userId: a.userId })
    .from(a)
    .where(and(eq(a.provider, provider), eq(a.subject, identity.subject)))
    .limit(1);

  if (known) {
    if (state.intent === 'link' && known.userId !== state.userId) return fail('already_linked', state.userId);
    // Only a new refresh token (a link or reconnect asks for one) makes a needs_reauth or revoked
    // account active again; a plain sign-in just brings a fresh access token.
    const renewed = tokens.refresh_token ? { status: 'active' as const, refreshFailures: 0, lastRefreshError: null } : {};
    await ctx.db
      .update(a)
      .set({ ...sealedTokenColumns(keys, known, tokens), email: identity.email, ...renewed })
      .where(eq(a.id, known.id));
    if (state.intent === 'link') {
      await recordSecurityEvent(ctx, 'connected_account_linked', known.userId, { provider, accountId: known.id, reconnected: true });
      return { ok: true, location: state.redirectTo };
    }
    return signIn(ctx, provider, known.userId, state.redirectTo);
  }

  if (state.intent === 'link') {
    if (!state.userId) return fail('server_error');
    const created = await insertAccount(ctx, state.userId, provider, tokens, identity);
    if (!created) return fail('provider_already_linked', state.userId);
    await recordSecurityEvent(ctx, 'connected_account_linked', state.userId, { provider, accountId: created });
    return { ok: true, location: state.redirectTo };
  }

  if (!identity.email) return fail('email_missing');
  if (!identity.emailVerified) return fail('email_not_verified');
  const u = schema.users;
  const [existing] = await ctx.db.select({ id: u.id }).from(u).where(eq(sql`lower(${u.email})`, identity.email)).limit(1);
  // Never linked by email alone: the owner signs in with the password and links from settings.
  if (existing) return fail('account_exists', existing.id);

  const userId = await withTransaction(ctx.db, async (tx) => {
    const [user] = await tx
      .insert(u)
      .values({ email: identity.email!, name: identity.name, passwordHash: null, emailVerifiedAt: sql`now()` })
      .onConflictDoNothing()
      .returning({ id: u.id });
    if (!user) return null;
    const accountId = crypto.randomUUID();
    await tx.insert(a).values({ id: accountId, userId: user.id, provider, subject: identity.subject, email: identity.email, ...sealedTokenColumns(keys, { id: accountId, userId: user.id }, tokens) });
    return user.id;
  });
  if (!userId) return fail('account_exists');
  await recordSecurityEvent(ctx, 'user_registered', userId, { method: provider });
  ctx.log.info({ userId, provider }, 'user registered through an OpenID Connect provider');
  return signIn(ctx, provider, userId, state.redirectTo);
}

/** A new connected account of `userId`; null when the user already has one at this provider (or the subject raced in). */
async function insertAccount(ctx: Context, userId: string, provider: ProviderId, tokens: Tokens, identity: Identity): Promise<string | null> {
  const id = crypto.randomUUID();
  try {
    const inserted = await ctx.db
      .insert(schema.connectedAccounts)
      .values({ id, userId, provider, subject: identity.subject, email: identity.email, ...sealedTokenColumns(ctx.config.encryption.keys, { id, userId }, tokens) })
      .onConflictDoNothing()
      .returning({ id: schema.connectedAccounts.id });
    return inserted[0]?.id ?? null;
  } catch (error) {
    // The user row went (erased) between start and callback.
    if (postgresErrorOf(error)?.code === '23503') return null;
    throw error;
  }
}

/** As a password sign-in: the same session and cookies, and the second factor when it is on. */
async function signIn(ctx: Context, provider: ProviderId, userId: string, redirectTo: string): Promise<Outcome> {
  const [user] = await ctx.db
    .select({ id: schema.users.id, role: schema.users.role, disabledAt: schema.users.disabledAt })
    .from(schema.users)
    .where(eq(schema.users.id, userId))
    .limit(1);
  if (!user) return fail('server_error');
  if (user.disabledAt) return fail('account_disabled', user.id);
  if ((await twoFactorState(ctx.db, user.id))?.enabled) {
    const challenge = await openLoginChallenge(ctx, user.id);
    // In the fragment: it never reaches a server, a log or a Referer.
    return { ok: true, location: `/sign-in#challenge=${challenge.challengeId}` };
  }
  const tokens = await openSession(ctx, user);
  setTokenCookies(ctx.cookies, ctx.config.auth, tokens);
  rememberDevice(ctx.cookies, ctx.config.auth, user.id);
  await recordSecurityEvent(ctx, 'login_succeeded', user.id, { method: provider });
  return { ok: true, location: redirectTo };
}
