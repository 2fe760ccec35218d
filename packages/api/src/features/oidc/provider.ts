import * as oidc from 'openid-client';
import type { AppConfig } from '../../config/index.ts';

export const PROVIDERS = ['google'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

export const PROVIDER_NAMES: Record<ProviderId, string> = { google: 'Google' };

/** Seconds any one request to the provider may take (discovery, token, revocation). */
const PROVIDER_TIMEOUT_S = 10;

export interface ProviderSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export function providerSettings(config: AppConfig, provider: ProviderId): ProviderSettings | null {
  return provider === 'google' ? config.oidc.google : null;
}

export function configuredProviders(config: AppConfig): ProviderId[] {
  return PROVIDERS.filter((provider) => providerSettings(config, provider) !== null);
}

/**
 * Plain-HTTP issuers are for the loopback mock issuer of tests and local development only; the
 * configuration refuses an http issuer in production.
 */
export function isLoopbackHttp(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

const discovered = new Map<string, Promise<oidc.Configuration>>();

/**
 * The provider's discovered configuration, cached per issuer and client; a failed discovery is
 * forgotten so the next sign-in tries again. ID tokens are checked against the issuer's JWKS
 * (non-repudiation checks) even though they arrive straight from the token endpoint.
 */
export function providerClient(settings: ProviderSettings): Promise<oidc.Configuration> {
  const key = `${settings.issuer}\n${settings.clientId}`;
  let client = discovered.get(key);
  if (!client) {
    client = discover(settings);
    discovered.set(key, client);
    client.catch(() => discovered.delete(key));
  }
  return client;
}

async function discover(settings: ProviderSettings): Promise<oidc.Configuration> {
  const insecure = isLoopbackHttp(settings.issuer);
  if (!insecure && new URL(settings.issuer).protocol !== 'https:') throw new Error('OIDC issuer must be https (http only on loopback)');
  const config = await oidc.discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, oidc.ClientSecretPost(settings.clientSecret), {
    timeout: PROVIDER_TIMEOUT_S,
    ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
  });
  config.timeout = PROVIDER_TIMEOUT_S;
  oidc.enableNonRepudiationChecks(config);
  return config;
}

/** The callback the provider redirects to: registered with the provider as is. */
export function callbackUrl(config: AppConfig, provider: ProviderId): string {
  return `${config.http.appOrigin}/auth/oauth/${provider}/callback`;
}

/**
 * A failed provider call that is worth retrying: the provider answered 5xx or not at all. An OAuth
 * error answer (`invalid_grant`, `invalid_client`) will not change by asking again.
 */
export function isTransientProviderError(error: unknown): boolean {
  if (error instanceof oidc.ResponseBodyError) return error.status >= 500;
  const status = statusOf(error);
  if (status !== null) return status >= 500;
  // Network failures and timeouts; a response that fails validation will fail again.
  return !(error instanceof oidc.ClientError);
}

const statusOf = (error: unknown): number | null => {
  const status = (error as { cause?: { status?: unknown } } | null)?.cause?.status;
  return typeof status === 'number' ? status : null;
};

/** A stable, body-free label for the security log and `last_refresh_error`: never the provider's text. */
export function providerErrorCode(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) return /^[a-z_]{1,64}$/.test(error.error) ? error.error : `http_${error.status}`;
  const status = statusOf(error);
  if (status !== null) return `http_${status}`;
  if (error instanceof oidc.ClientError) return 'provider_response_invalid';
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  if (error instanceof TypeError) return 'network_error';
  return 'provider_error';
}
