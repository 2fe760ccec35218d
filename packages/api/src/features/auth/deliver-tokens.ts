import type { Context } from '../../context.ts';
import type { IssuedTokens } from './session.service.ts';
import { setTokenCookies } from './token-cookies.ts';

/** Cookies for browsers (no token readable by script, only the session hint); the body for services, CLIs and mobile apps. */
export function deliverTokens(ctx: Context, tokens: IssuedTokens, delivery: 'cookie' | 'body') {
  const accessTokenExpiresAt = tokens.accessTokenExpiresAt.toISOString();
  if (delivery === 'body') {
    return { accessTokenExpiresAt, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
  }
  setTokenCookies(ctx.cookies, ctx.config.auth, tokens);
  return { accessTokenExpiresAt };
}
