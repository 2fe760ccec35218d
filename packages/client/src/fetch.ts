import type { TRPCFetch } from '@trpc/client';
import { UnexpectedResponseError } from './errors.ts';

/**
 * Every Bastion answer is JSON. Anything else (a load balancer's 502 page, a proxy's plain-text
 * 503) would otherwise fail inside the HTTP link as a JSON syntax error with its status lost —
 * and the status is what decides whether the call may be retried.
 */
export function jsonOnlyFetch(base: typeof fetch): TRPCFetch {
  return async (url, init) => {
    const response = await base(url, init);
    if (!/\bjson\b/i.test(response.headers.get('content-type') ?? '')) {
      // The body is not ours to show (it may be anything); release the connection.
      await response.body?.cancel().catch(() => {});
      throw new UnexpectedResponseError(response.status, response.headers);
    }
    return response;
  };
}
