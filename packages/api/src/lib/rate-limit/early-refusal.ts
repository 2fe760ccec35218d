import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { AppDeps } from '../../context.ts';
import { formatError, type ErrorShape } from '../../errors/error-formatter.ts';
import { appRouter } from '../../root.ts';
import type { Meta } from '../../trpc.ts';
import { clientKey } from './client-key.ts';
import { rateLimitHeaders, refusalError } from './enforce.ts';
import type { RateLimitCharge } from './rate-limiters.ts';

export interface EarlyRefusal {
  headers: Record<string, string>;
  body: { error: ErrorShape };
}

/**
 * A flood from one address costs what it takes to say no. Once the caller's address is over
 * `global`, or over a per-address procedure policy (`key: 'ip'`), the limiters remember the refusal
 * until the window ends; this answers it before the call is parsed, authenticated or given a
 * context, with exactly the headers and error body the procedure middleware would have answered
 * (the one formatter). Batches and anything else go the usual way, where the same refusal applies.
 */
export function earlyRefusals(deps: Pick<AppDeps, 'config' | 'rateLimiters'>) {
  const policies = deps.config.rateLimit.policies;
  const policyOf = new Map<string, string>();
  // The method each procedure is served on: any other is tRPC's to refuse (405), as it would.
  const methodOf = new Map<string, string>();
  for (const [path, procedure] of Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta; type: string } }>)) {
    const name = procedure._def.meta?.rateLimit;
    if (name && policies[name].key === 'ip') policyOf.set(path, name);
    if (procedure._def.type !== 'subscription') methodOf.set(path, procedure._def.type === 'query' ? 'GET' : 'POST');
  }

  return (path: string, method: string, ip: string | null, requestId: string): EarlyRefusal | null => {
    if (methodOf.get(path) !== method) return null;
    const client = clientKey(ip);
    const own = policyOf.get(path);
    const charges: RateLimitCharge[] = own ? [{ policy: 'global', key: client }, { policy: own as RateLimitCharge['policy'], key: client }] : [{ policy: 'global', key: client }];
    const refused = deps.rateLimiters.refusedFromMemory(charges);
    if (!refused) return null;
    const error = refusalError(deps.config, refused);
    const shape = formatError(
      { shape: { message: error.message, code: TRPC_ERROR_CODES_BY_KEY.TOO_MANY_REQUESTS, data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, path } }, error },
      { requestId, exposeInternals: false },
    );
    return { headers: rateLimitHeaders(refused), body: { error: shape } };
  };
}
