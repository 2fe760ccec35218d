import type { z } from 'zod';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { deliverTokens } from './deliver-tokens.ts';
import type { refreshInput, refreshOutput } from './refresh.schema.ts';
import { rotateRefreshToken } from './session.service.ts';
import { clearTokenCookies, cookieNames } from './token-cookies.ts';

export async function refreshHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof refreshInput> }): Promise<z.infer<typeof refreshOutput>> {
  const fromBody = input?.refreshToken;
  const presented = fromBody ?? ctx.cookies.get(cookieNames(ctx.config.auth).refresh);
  try {
    // Without a refresh cookie, any left-over access cookie or session hint is cleared too.
    if (!presented) throw new AppError('UNAUTHORIZED', 'invalid_refresh_token', 'Your session has ended. Sign in again.');
    const tokens = await rotateRefreshToken(ctx, presented);
    return deliverTokens(ctx, tokens, fromBody ? 'body' : 'cookie');
  } catch (error) {
    if (!fromBody) clearTokenCookies(ctx.cookies, ctx.config.auth);
    throw error;
  }
}
