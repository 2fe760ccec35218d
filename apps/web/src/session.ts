import type { RouterOutputs } from '@bastion/api';
import { useQueryClient } from '@tanstack/react-query';
import { isUnauthorized } from './lib/api-error.ts';
import { navigate } from './lib/router.tsx';
import { announceSessionEnded } from './lib/session-end.ts';
import { sessionMayExist } from './lib/session-hint.ts';
import { sessionState, type SessionState } from './lib/session-state.ts';
import { trpc } from './trpc.ts';

export type User = RouterOutputs['auth']['me']['user'];
export type Permission = RouterOutputs['auth']['me']['permissions'][number];

/** The signed-in user's administrative permissions (empty for everyone else): what the web app shows. */
export function usePermissions(): ReadonlySet<Permission> {
  const me = trpc.auth.me.useQuery(undefined, { retryOnMount: false, enabled: sessionMayExist() });
  return new Set(me.data?.permissions ?? []);
}

export type Session = SessionState<User>;

/** Who is signed in. Without the session hint cookie nobody is, and `auth.me` is not even asked. */
export function useSession(): Session {
  const hinted = sessionMayExist();
  // Every page reads the session; a known "signed out" must not be re-asked each time one mounts.
  const me = trpc.auth.me.useQuery(undefined, { retryOnMount: false, enabled: hinted });
  return sessionState(hinted, me);
}

export function useSignOut() {
  const queryClient = useQueryClient();
  const leave = () => {
    // Navigate first: the account page must not see the emptied cache and redirect without the notice.
    navigate('/sign-in', { state: { notice: 'You have signed out.' } });
    // Drops every cached answer that belonged to the user, not just `auth.me`.
    queryClient.clear();
    announceSessionEnded({ here: false });
  };
  return trpc.auth.logout.useMutation({
    onSuccess: leave,
    onError: (error) => {
      // The session had already ended on the server: the user is signed out either way.
      if (isUnauthorized(error)) leave();
    },
  });
}
