import * as oidc from 'openid-client';
import type { z } from 'zod';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { authenticate } from '../auth/guards.ts';
import type { providersOutput, startInput, startOutput } from './oauth.schema.ts';
import { callbackUrl, configuredProviders, PROVIDER_NAMES, providerClient, providerSettings } from './provider.ts';
import { safeRedirect } from './redirect.ts';
import { createState } from './state.ts';

export function providersHandler({ ctx }: { ctx: Context }): z.infer<typeof providersOutput> {
  return { providers: configuredProviders(ctx.config).map((id) => ({ id, name: PROVIDER_NAMES[id] })) };
}

/**
 * Opens an authorization request. Everything the callback needs is bound here, because the
 * callback arrives as a cross-site navigation without the (Strict) session cookies: the browser
 * (state cookie), the intent and, for `link`, the signed-in user.
 */
export async function startHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof startInput> }): Promise<z.infer<typeof startOutput>> {
  const settings = providerSettings(ctx.config, input.provider);
  if (!settings) throw new AppError('NOT_FOUND', 'provider_not_configured', 'This sign-in method is not available.');
  const redirectTo = safeRedirect(input.redirectTo);
  let userId: string | null = null;
  if (input.intent === 'link') {
    const auth = await authenticate(ctx);
    if (auth.apiKey) throw new AppError('FORBIDDEN', 'api_key_not_allowed', 'API keys cannot be used for this; sign in instead.');
    userId = auth.userId;
  }
  let client: oidc.Configuration;
  try {
    client = await providerClient(settings);
  } catch (error) {
    ctx.log.error({ err: error, provider: input.provider }, 'OpenID Connect discovery failed');
    throw new AppError('SERVICE_UNAVAILABLE', 'provider_unavailable', 'Sign-in with this provider is unavailable right now. Try again later.');
  }
  const { state, nonce, codeChallenge } = await createState(ctx, { provider: input.provider, intent: input.intent, userId, redirectTo });
  const url = oidc.buildAuthorizationUrl(client, {
    redirect_uri: callbackUrl(ctx.config, input.provider),
    scope: 'openid email profile',
    response_type: 'code',
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    // A refresh token (Google issues one only with both) for accounts kept connected.
    ...(input.intent === 'link' ? { access_type: 'offline', prompt: 'consent' } : {}),
  });
  return { authorizationUrl: url.href };
}
