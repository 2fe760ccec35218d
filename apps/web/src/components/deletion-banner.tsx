import { formatDateTime } from '../lib/format.ts';
import type { User } from '../session.ts';
import { trpc } from '../trpc.ts';
import { Button } from './button.tsx';
import { useToast } from './toast.tsx';

/** Shown on every page while an account deletion is scheduled: the one-click way back. */
export function DeletionBanner({ user }: { user: User }) {
  const utils = trpc.useUtils();
  const toast = useToast();
  const cancel = trpc.account.cancelDeletion.useMutation({
    onSuccess: async () => {
      await utils.auth.me.invalidate();
      toast('Deletion cancelled: your account stays.');
    },
    onError: (error) => toast(error.message, 'error'),
  });
  if (!user.deletionScheduledAt) return null;
  return (
    <div role="region" aria-label="Account deletion" className="border-b border-amber-200 bg-amber-50 dark:border-amber-800 dark:bg-amber-950">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-3 px-4 py-3 text-sm text-amber-900 dark:text-amber-200">
        <p>
          Your account will be deleted on <time dateTime={user.deletionScheduledAt}>{formatDateTime(user.deletionScheduledAt)}</time>.
        </p>
        <Button variant="secondary" compact pending={cancel.isPending} pendingLabel="Cancelling…" onClick={() => cancel.mutate()}>
          Keep my account
        </Button>
      </div>
    </div>
  );
}
