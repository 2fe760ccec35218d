import { isUnauthorized } from './api-error.ts';

export type SessionState<TUser> =
  | { status: 'loading' }
  | { status: 'signed-in'; user: TUser }
  | { status: 'signed-out' }
  | { status: 'error'; retry: () => void; retrying: boolean };

interface MeQuery<TUser> {
  data?: { user: TUser } | undefined;
  error: unknown;
  isFetching: boolean;
  refetch: () => unknown;
}

/**
 * The session from the hint cookie and the `auth.me` query. Without the hint nobody is signed in,
 * even with a user still cached: the hint went away with the session (sign-out, failed refresh).
 * An UNAUTHORIZED answer (after the link's one refresh) means signed out too.
 */
export function sessionState<TUser>(hinted: boolean, me: MeQuery<TUser>): SessionState<TUser> {
  if (!hinted || isUnauthorized(me.error)) return { status: 'signed-out' };
  if (me.data) return { status: 'signed-in', user: me.data.user };
  if (me.error) return { status: 'error', retry: () => void me.refetch(), retrying: me.isFetching };
  return { status: 'loading' };
}
