import { createContextInner, type AppDeps, type CookieJar, type RequestInfo } from '../../context.ts';
import { enforceRateLimits } from '../../lib/rate-limit/enforce.ts';
import { clientKey } from '../../lib/rate-limit/client-key.ts';
import { authenticate } from '../auth/guards.ts';
import { takeDataExport } from './exports.service.ts';

export type DownloadOutcome = { status: 200; archive: Buffer } | { status: 401 | 404 };

/**
 * `GET /account/export/<token>` (mounted by the server's app.ts): a plain HTTP download, so the
 * browser saves the zip. Signed in (cookie or bearer) as the export's owner; counted against the
 * `global` rate limit like every call. A refusal says nothing about whether the token exists.
 */
export async function downloadDataExport(deps: AppDeps, request: RequestInfo, cookies: CookieJar, token: string): Promise<DownloadOutcome> {
  const ctx = createContextInner({ deps, request, cookies });
  await enforceRateLimits(ctx, [{ policy: 'global', key: clientKey(request.ip) }]);
  let auth;
  try {
    auth = await authenticate(ctx);
  } catch {
    return { status: 401 };
  }
  const archive = await takeDataExport({ ...ctx, auth }, token);
  return archive ? { status: 200, archive } : { status: 404 };
}
