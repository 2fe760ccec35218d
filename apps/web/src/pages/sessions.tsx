import { FormAlert } from '../components/alerts.tsx';
import { useState } from 'react';
import { Button } from '../components/button.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { useToast } from '../components/toast.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { BackToAccount, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';

export function SessionsPage() {
  useDocumentTitle('Your sessions');
  return <SignedIn>{() => <SessionList />}</SignedIn>;
}

function SessionList() {
  const utils = trpc.useUtils();
  const sessions = trpc.auth.sessions.list.useQuery();
  const toast = useToast();
  const [confirmingAll, setConfirmingAll] = useState(false);
  const revoke = trpc.auth.sessions.revoke.useMutation({
    onSuccess: () => {
      toast('Session signed out.');
      return utils.auth.sessions.list.invalidate();
    },
  });
  const revokeOthers = trpc.auth.logoutAll.useMutation({
    onSuccess: ({ revoked }) => {
      setConfirmingAll(false);
      toast(`Signed out ${revoked} other ${revoked === 1 ? 'session' : 'sessions'}.`);
      return utils.auth.sessions.list.invalidate();
    },
  });
  const others = sessions.data?.filter((session) => !session.current).length ?? 0;

  return (
    <Card wide>
      <PageHeading title="Your sessions" subtitle="Every device signed in to your account. Sign out the ones you do not recognise." />
      {sessions.isPending && <LoadingStatus label="Loading sessions…" />}
      {sessions.isError && <FormAlert error={{ message: 'The sessions could not be loaded. Reload the page to try again.' }} />}
      {revoke.isError && <FormAlert error={{ message: revoke.error.message }} />}
      {sessions.data && (
        <ul className="mt-4 divide-y divide-slate-100 border-y border-slate-100 dark:divide-gray-700 dark:border-gray-700" aria-label="Sessions">
          {sessions.data.map((session) => (
            <li key={session.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
              <div className="min-w-0 space-y-0.5">
                <p className="text-sm font-medium text-slate-900 dark:text-gray-100">
                  {session.device}
                  {session.current && <span className="ml-2 rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700 ring-1 ring-emerald-600/20 ring-inset dark:bg-emerald-950 dark:text-emerald-300">This device</span>}
                </p>
                <p className="text-xs text-slate-500 dark:text-gray-400">
                  {session.ip ?? 'Unknown address'} · signed in {formatDateTime(session.createdAt)} · last active {formatDateTime(session.lastUsedAt)}
                </p>
              </div>
              {!session.current && (
                <Button
                  variant="secondary"
                  compact
                  aria-label={`Sign out ${session.device}`}
                  pending={revoke.isPending && revoke.variables.sessionId === session.id}
                  pendingLabel="Signing out…"
                  onClick={() => revoke.mutate({ sessionId: session.id })}
                >
                  Sign out
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {others > 0 && (
        <Button className="mt-4" variant="secondary" onClick={() => setConfirmingAll(true)}>
          Sign out all other sessions
        </Button>
      )}
      <ConfirmDialog
        title="Sign out all other sessions?"
        open={confirmingAll}
        onClose={() => {
          setConfirmingAll(false);
          revokeOthers.reset();
        }}
        onConfirm={() => revokeOthers.mutate({ exceptCurrent: true })}
        confirmLabel="Sign out other sessions"
        pendingLabel="Signing out…"
        pending={revokeOthers.isPending}
        error={revokeOthers.error?.message}
      >
        <p>{`Every other device (${others}) is signed out at once and must sign in again. This device stays signed in.`}</p>
      </ConfirmDialog>
      {sessions.data && others === 0 && <p className="mt-4 text-sm text-slate-600 dark:text-gray-400">No other device is signed in.</p>}
      <BackToAccount />
    </Card>
  );
}
