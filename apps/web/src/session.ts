import type { RouterOutputs } from '@bastion/api';
import { useQueryClient } from '@tanstack/react-query';
import { isUnauthorized } from './lib/api-error.ts';
import { navigate } from './lib/router.tsx';
import { trpc } from './trpc.ts';

export type User = RouterOutputs['auth']['me']['user'];

export type Session =
  | { status: 'loading' }
  | { status: 'signed-in'; user: User }
  | { status: 'signed-out' }
  | { status: 'error'; retry: () => void; retrying: boolean };

/** Who is signed in, from `auth.me`. An UNAUTHORIZED answer (after the link's one refresh) means signed out. */
export function useSession(): Session {
  // Every page reads the session; a known "signed out" must not be re-asked each time one mounts.
  const me = trpc.auth.me.useQuery(undefined, { retryOnMount: false });
  if (isUnauthorized(me.error)) return { status: 'signed-out' };
  if (me.data) return { status: 'signed-in', user: me.data.user };
  if (me.error) return { status: 'error', retry: () => void me.refetch(), retrying: me.isFetching };
  return { status: 'loading' };
}

export function useSignOut() {
  const queryClient = useQueryClient();
  const leave = () => {
    // Navigate first: the account page must not see the emptied cache and redirect without the notice.
    navigate('/sign-in', { state: { notice: 'You have signed out.' } });
    // Drops every cached answer that belonged to the user, not just `auth.me`.
    queryClient.clear();
  };
  return trpc.auth.logout.useMutation({
    onSuccess: leave,
    onError: (error) => {
      // The session had already ended on the server: the user is signed out either way.
      if (isUnauthorized(error)) leave();
    },
  });
}
