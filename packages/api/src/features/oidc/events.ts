import { and, eq } from 'drizzle-orm';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { schema } from '@bastion/db';
import { createContextInner, type AppDeps, type RequestInfo } from '../../context.ts';
import { enforceRateLimits } from '../../lib/rate-limit/enforce.ts';
import { clientKey } from '../../lib/rate-limit/client-key.ts';
import { endUserSessions } from '../auth/session.service.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { PROVIDERS, providerClient, providerSettings, type ProviderSettings } from './provider.ts';

const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
/** The events acted on; others (verification, credential-change-required) are acknowledged and logged. */
const HANDLED = ['tokens-revoked', 'sessions-revoked', 'account-disabled', 'account-purged'] as const;

const jwksByUri = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
const riscByIssuer = new Map<string, Promise<{ issuer: string; jwks_uri: string } | null>>();

/**
 * The RISC transmitter's own configuration when it publishes one (Google does, at
 * `/.well-known/risc-configuration`, with its own issuer string and keys); otherwise the OpenID
 * configuration's issuer and JWKS.
 */
async function riscConfiguration(settings: ProviderSettings): Promise<{ issuer: string; jwks_uri: string } | null> {
  let found = riscByIssuer.get(settings.issuer);
  if (!found) {
    found = fetch(new URL('.well-known/risc-configuration', settings.issuer.endsWith('/') ? settings.issuer : `${settings.issuer}/`), { signal: AbortSignal.timeout(10_000) })
      .then(async (response) => {
        if (!response.ok) return null;
        const body = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
        return typeof body.issuer === 'string' && typeof body.jwks_uri === 'string' ? { issuer: body.issuer, jwks_uri: body.jwks_uri } : null;
      })
      .catch(() => {
        riscByIssuer.delete(settings.issuer);
        return null;
      });
    riscByIssuer.set(settings.issuer, found);
  }
  return found;
}

async function issuerKeys(settings: ProviderSettings) {
  const risc = await riscConfiguration(settings);
  const metadata = risc ?? (await providerClient(settings)).serverMetadata();
  const uri = metadata.jwks_uri;
  if (!uri) throw new Error('issuer has no jwks_uri');
  let jwks = jwksByUri.get(uri);
  if (!jwks) jwksByUri.set(uri, (jwks = createRemoteJWKSet(new URL(uri), { timeoutDuration: 10_000 })));
  return { jwks, issuer: metadata.issuer };
}

export type EventsOutcome = { status: 202 } | { status: 400 | 404 | 429 | 503; reason: string };

/**
 * `POST /auth/oauth/<provider>/events`: a security event token (RFC 8417) pushed by the provider
 * (Google's Cross-Account Protection). Verified against the issuer's keys (signature, `iss`, `aud`
 * = our client id, `iat`); then `tokens-revoked` marks the account revoked and forgets its tokens,
 * `sessions-revoked` signs the user out everywhere, `account-disabled` does both. Recorded in the
 * security log; unknown subjects are acknowledged (the provider must not learn who has an account).
 */
export async function receiveProviderEvent(deps: AppDeps, request: RequestInfo, providerParam: string, body: string): Promise<EventsOutcome> {
  const ctx = createContextInner({ deps, request });
  try {
    await enforceRateLimits(ctx, [{ policy: 'auth.providerEvents', key: clientKey(request.ip) }]);
  } catch {
    return { status: 429, reason: 'rate_limited' };
  }
  const provider = PROVIDERS.find((p) => p === providerParam);
  const settings = provider ? providerSettings(deps.config, provider) : null;
  if (!provider || !settings) return { status: 404, reason: 'provider_not_configured' };
  let keys;
  try {
    keys = await issuerKeys(settings);
  } catch (error) {
    ctx.log.error({ err: error, provider }, 'could not load the issuer keys for a security event');
    return { status: 503, reason: 'provider_unavailable' };
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(body.trim(), keys.jwks, { issuer: keys.issuer, audience: settings.clientId, algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'], maxTokenAge: '1h' }));
  } catch (error) {
    ctx.log.warn({ provider, error: error instanceof Error ? error.name : 'unknown' }, 'security event token refused');
    return { status: 400, reason: 'invalid_event_token' };
  }
  const events = payload.events;
  if (!events || typeof events !== 'object') return { status: 400, reason: 'invalid_event_token' };
  const a = schema.connectedAccounts;
  for (const [uri, event] of Object.entries(events as Record<string, { subject?: { subject_type?: string; sub?: string; iss?: string } }>)) {
    if (!uri.startsWith(RISC)) continue;
    const type = uri.slice(RISC.length);
    const subject = event?.subject?.sub;
    if (!subject) continue;
    const [account] = await ctx.db.select({ id: a.id, userId: a.userId }).from(a).where(and(eq(a.provider, provider), eq(a.subject, subject))).limit(1);
    if (!account) continue;
    await recordSecurityEvent(ctx, 'provider_event_received', account.userId, { provider, accountId: account.id, event: type, jti: typeof payload.jti === 'string' ? payload.jti.slice(0, 200) : null });
    if (!(HANDLED as readonly string[]).includes(type)) continue;
    if (type !== 'sessions-revoked') {
      await ctx.db
        .update(a)
        .set({ status: 'revoked', accessTokenSealed: null, refreshTokenSealed: null, expiresAt: null })
        .where(eq(a.id, account.id));
      await recordSecurityEvent(ctx, 'connected_account_revoked', account.userId, { provider, accountId: account.id, event: type });
    }
    if (type !== 'tokens-revoked') {
      const ended = await endUserSessions(ctx, account.userId, `provider_${type}`);
      await recordSecurityEvent(ctx, 'sessions_revoked', account.userId, { reason: `provider_${type}`, count: ended.length });
    }
  }
  return { status: 202 };
}
