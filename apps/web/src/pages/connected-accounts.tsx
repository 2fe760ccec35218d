import type { RouterOutputs } from '@bastion/api';
import { useState } from 'react';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { useStartProvider } from '../components/provider-buttons.tsx';
import { BackToAccount, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { useToast } from '../components/toast.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';

type Account = RouterOutputs['connectedAccounts']['list'][number];

const HERE = '/account/connected-accounts';

const STATUS: Record<Account['status'], { label: string; className: string }> = {
  active: { label: 'Connected', className: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20 dark:bg-emerald-950 dark:text-emerald-300' },
  needs_reauth: { label: 'Needs reconnecting', className: 'bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-950 dark:text-amber-300' },
  revoked: { label: 'Access withdrawn', className: 'bg-red-50 text-red-700 ring-red-600/20 dark:bg-red-950 dark:text-red-300' },
};

export function ConnectedAccountsPage() {
  useDocumentTitle('Connected accounts');
  return <SignedIn>{() => <ConnectedAccounts />}</SignedIn>;
}

function ConnectedAccounts() {
  const utils = trpc.useUtils();
  const toast = useToast();
  const accounts = trpc.connectedAccounts.list.useQuery();
  const providers = trpc.auth.providers.useQuery(undefined, { staleTime: 5 * 60_000 });
  const { start, pending: leaving } = useStartProvider();
  const [confirming, setConfirming] = useState<Account | null>(null);
  const disconnect = trpc.connectedAccounts.disconnect.useMutation({
    onSuccess: async () => {
      setConfirming(null);
      toast('Google was disconnected.');
      await utils.connectedAccounts.list.invalidate();
    },
  });
  const link = (provider: Account['provider']) => start.mutate({ provider, intent: 'link', redirectTo: HERE });
  const unlinked = (providers.data?.providers ?? []).filter((provider) => !accounts.data?.some((account) => account.provider === provider.id));

  return (
    <Card wide>
      <PageHeading title="Connected accounts" subtitle="Accounts at other services you sign in with, or that Bastion may use for you. Bastion stores their access encrypted and never shows it." />
      {accounts.isPending && <LoadingStatus label="Loading connected accounts…" />}
      {accounts.isError && <FormAlert error={{ message: 'Your connected accounts could not be loaded. Reload the page to try again.' }} />}
      {start.isError && <FormAlert error={{ message: start.error.message }} />}
      {accounts.data && accounts.data.length === 0 && <p className="mt-2 text-sm text-slate-600 dark:text-gray-400">No account is connected yet.</p>}
      {accounts.data && accounts.data.length > 0 && (
        <ul className="mt-4 divide-y divide-slate-100 border-y border-slate-100 dark:divide-gray-700 dark:border-gray-700" aria-label="Connected accounts">
          {accounts.data.map((account) => {
            const status = STATUS[account.status];
            return (
              <li key={account.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div className="min-w-0 space-y-0.5">
                  <p className="text-sm font-medium text-slate-900 dark:text-gray-100">
                    Google
                    <span className={`ml-2 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${status.className}`}>{status.label}</span>
                  </p>
                  <p className="text-xs break-all text-slate-500 dark:text-gray-400">
                    {account.email ?? 'No email shared'}
                    {account.lastRefreshedAt && ` · renewed ${formatDateTime(account.lastRefreshedAt)}`}
                  </p>
                  {account.status !== 'active' && (
                    <p className="text-xs text-amber-800 dark:text-amber-300">Bastion can no longer use this account. Reconnect it to continue.</p>
                  )}
                </div>
                <div className="flex flex-wrap gap-2">
                  {account.status !== 'active' && (
                    <Button compact pending={leaving} pendingLabel="Opening Google…" onClick={() => link(account.provider)}>
                      Reconnect
                    </Button>
                  )}
                  <Button variant="secondary" compact aria-label={`Disconnect Google (${account.email ?? 'account'})`} onClick={() => setConfirming(account)}>
                    Disconnect
                  </Button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {accounts.data &&
        unlinked.map((provider) => (
          <Button key={provider.id} className="mt-4" variant="secondary" pending={leaving} pendingLabel={`Opening ${provider.name}…`} onClick={() => link(provider.id)}>
            Link {provider.name}
          </Button>
        ))}
      <ConfirmDialog
        title="Disconnect Google?"
        open={confirming !== null}
        onClose={() => {
          setConfirming(null);
          disconnect.reset();
        }}
        onConfirm={() => confirming && disconnect.mutate({ id: confirming.id })}
        confirmLabel="Disconnect"
        pendingLabel="Disconnecting…"
        pending={disconnect.isPending}
        error={disconnect.error?.message}
      >
        <p>Bastion asks Google to withdraw its access and forgets it. You will no longer be able to sign in with {confirming?.email ?? 'this Google account'}.</p>
      </ConfirmDialog>
      <BackToAccount />
    </Card>
  );
}
