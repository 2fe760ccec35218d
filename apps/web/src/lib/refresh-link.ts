import type { AppRouter } from '@bastion/api';
import type { TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';

/** Procedures whose UNAUTHORIZED means bad credentials or an ended session, not an expired access token. */
const NEVER_RETRIED = new Set(['auth.login', 'auth.register', 'auth.refresh']);

/**
 * When an operation fails with UNAUTHORIZED (the short-lived access cookie expired), renews the
 * session once and replays the operation once. `refreshSession` must be single-flight so a burst
 * of expired requests shares one refresh. If the refresh fails, or `sessionMayExist` says there is
 * no session to renew (no session hint cookie), the original UNAUTHORIZED error is passed on, which
 * the app reads as "signed out".
 */
export function refreshOnUnauthorizedLink(refreshSession: () => Promise<unknown>, sessionMayExist: () => boolean): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let current: Unsubscribable | null = null;
        let closed = false;

        const attempt = (isRetry: boolean) => {
          current = next(op).subscribe({
            next: (result) => observer.next(result),
            complete: () => observer.complete(),
            error: (error) => {
              if (isRetry || NEVER_RETRIED.has(op.path) || error.data?.code !== 'UNAUTHORIZED' || !sessionMayExist()) {
                observer.error(error);
                return;
              }
              refreshSession().then(
                () => {
                  if (!closed) attempt(true);
                },
                () => observer.error(error),
              );
            },
          });
        };

        attempt(false);
        return () => {
          closed = true;
          current?.unsubscribe();
        };
      });
}
