import type { AppRouter } from '@bastion/api';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, httpBatchStreamLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { createTRPCReact } from '@trpc/react-query';
import { isClientError, isUnauthorized } from './lib/api-error.ts';
import { announceSessionEnded } from './lib/session-end.ts';
import { refreshOnUnauthorizedLink } from './lib/refresh-link.ts';
import { sessionMayExist } from './lib/session-hint.ts';
import { singleFlight } from './lib/single-flight.ts';

export const trpc = createTRPCReact<AppRouter>();

/** Tokens live in httpOnly cookies: every request must carry them, and JS never reads them (only the session hint). */
function transport() {
  return httpBatchLink<AppRouter>({
    url: '/trpc',
    maxItems: 10,
    fetch: (url, options) => fetch(url, { ...options, credentials: 'include' }),
  });
}

// Its own client, outside the retrying chain, so a failing refresh can never trigger another refresh.
const refreshClient = createTRPCClient<AppRouter>({ links: [transport()] });

/** Module-level so every 401 in the page, from any component, joins the same refresh. */
export const refreshSession = singleFlight(() =>
  refreshClient.auth.refresh.mutate().catch((error: unknown) => {
    // The session is gone (revoked on another device, or idle past its lifetime), not just the
    // network: every tab must stop acting signed in.
    if (isUnauthorized(error)) announceSessionEnded();
    throw error;
  }),
);

/** For streamed answers (the audit export's JSON Lines), read as they arrive. */
export const streamingClient = createTRPCClient<AppRouter>({
  links: [httpBatchStreamLink({ url: '/trpc', maxItems: 1, fetch: (url, options) => fetch(url, { ...options, credentials: 'include' }) })],
});

export function createApiClient() {
  return trpc.createClient({
    links: [
      refreshOnUnauthorizedLink(refreshSession, sessionMayExist),
      // Subscriptions (the assistant's streamed replies) arrive as server-sent events, same origin, with the cookies.
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: '/trpc', eventSourceOptions: { withCredentials: true } }),
        false: transport(),
      }),
    ],
  });
}

export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        retry: (failureCount, error) => failureCount < 2 && !isClientError(error),
      },
      mutations: { retry: false },
    },
  });
}
