import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Dialog } from '../components/dialog.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { BackToAccount, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { TextField } from '../components/text-field.tsx';
import { useToast } from '../components/toast.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { formatDateTime } from '../lib/format.ts';
import { navigate } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import type { User } from '../session.ts';
import { trpc } from '../trpc.ts';

export function PrivacyPage() {
  useDocumentTitle('Privacy');
  return <SignedIn>{(user) => <Privacy user={user} />}</SignedIn>;
}

function Privacy({ user }: { user: User }) {
  const status = trpc.account.privacy.useQuery();
  return (
    <Card wide>
      <PageHeading title="Privacy" subtitle="Get a copy of everything Bastion holds about you, or delete your account." />
      {status.isPending && <LoadingStatus label="Loading…" />}
      {status.isError && <FormAlert error={{ message: 'Your privacy settings could not be loaded. Reload the page to try again.' }} />}
      {status.isSuccess && (
        <div className="space-y-8">
          <ExportSection openExport={status.data.openExport} left={status.data.exportsLeftToday} />
          {user.deletionScheduledAt ? <ScheduledDeletion at={user.deletionScheduledAt} /> : <DeleteSection />}
        </div>
      )}
      <BackToAccount />
    </Card>
  );
}

type OpenExport = { status: 'pending' | 'ready'; requestedAt: string; expiresAt: string | null } | null;

function ExportSection({ openExport, left }: { openExport: OpenExport; left: number }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const request = trpc.account.exportData.useMutation({
    onSuccess: () => {
      toast('We are preparing your archive. We will email you a download link.');
      void utils.account.privacy.invalidate();
    },
    onError: (error) => toast(error.message, 'error'),
  });
  return (
    <section aria-labelledby="export-heading" className="space-y-3">
      <h2 id="export-heading" className="text-base font-semibold text-slate-900 dark:text-gray-100">
        Download my data
      </h2>
      <p className="text-sm text-slate-600 dark:text-gray-400">
        A zip archive with one JSON file per kind of data: profile, preferences, contacts, sessions, security events, assistant conversations and usage, and the audit entries about you. We email
        you a link that works once, for 24 hours, while you are signed in.
      </p>
      {openExport?.status === 'pending' && (
        <p role="status" className="text-sm text-slate-700 dark:text-gray-300">
          Your archive is being prepared (asked {formatDateTime(openExport.requestedAt)}).
        </p>
      )}
      {openExport?.status === 'ready' && (
        <p role="status" className="text-sm text-slate-700 dark:text-gray-300">
          Your archive is ready: use the link we emailed you{openExport.expiresAt ? ` before ${formatDateTime(openExport.expiresAt)}` : ''}.
        </p>
      )}
      <div className="flex flex-wrap items-center gap-3">
        <Button onClick={() => request.mutate()} pending={request.isPending} pendingLabel="Requesting…" disabled={openExport !== null || left === 0}>
          Download my data
        </Button>
        <span className="text-xs text-slate-500 dark:text-gray-400">{left === 0 ? 'You have used your 3 exports for today.' : `${left} of 3 exports left today.`}</span>
      </div>
    </section>
  );
}

function DeleteSection() {
  const [open, setOpen] = useState(false);
  return (
    <section aria-labelledby="delete-heading" className="space-y-3 rounded-lg border border-red-200 p-4 dark:border-red-800">
      <h2 id="delete-heading" className="text-base font-semibold text-red-800 dark:text-red-200">
        Delete my account
      </h2>
      <p className="text-sm text-slate-600 dark:text-gray-400">
        Your account and all its data are deleted for good 7 days after you ask. You are signed out everywhere at once; until then you can sign in and cancel.
      </p>
      <Button variant="secondary" className="text-red-700 dark:text-red-300" onClick={() => setOpen(true)}>
        Delete my account…
      </Button>
      <DeleteDialog open={open} onClose={() => setOpen(false)} />
    </section>
  );
}

function DeleteDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const twoFactor = trpc.auth.twoFactor.status.useQuery(undefined, { enabled: open });
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<SubmitErrors<'password' | 'code'>>(noErrors);
  const remove = trpc.account.delete.useMutation({
    onSuccess: ({ deletionAt }) => {
      // Every session ended, this one too: the user lands on sign-in, told how to cancel.
      navigate('/sign-in', { state: { notice: `Your account will be deleted on ${formatDateTime(deletionAt)}. Sign in before then to cancel.` } });
      queryClient.clear();
    },
    onError: (error) => setErrors(toSubmitErrors(error, ['password', 'code'])),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const code = String(data.get('code') ?? '').trim();
    setErrors(noErrors);
    remove.mutate({ password: String(data.get('password') ?? ''), ...(code ? { code } : {}) });
  };
  return (
    <Dialog title="Delete your account?" open={open} onClose={onClose}>
      <form onSubmit={submit} noValidate className="space-y-4">
        <p className="text-sm text-slate-600 dark:text-gray-400">Confirm with your password{twoFactor.data?.enabled ? ' and a code from your authenticator app' : ''}. You can cancel within 7 days by signing in.</p>
        {errors.form && <FormAlert error={errors.form} />}
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required error={errors.fields.password} />
        {twoFactor.data?.enabled && <TextField label="Authentication code" name="code" inputMode="numeric" autoComplete="one-time-code" required error={errors.fields.code} />}
        <div className="flex flex-wrap justify-end gap-3">
          <Button variant="secondary" onClick={onClose}>
            Keep my account
          </Button>
          <Button type="submit" className="bg-red-700 hover:bg-red-600" pending={remove.isPending} pendingLabel="Deleting…">
            Delete my account
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function ScheduledDeletion({ at }: { at: string }) {
  return (
    <section aria-labelledby="delete-heading" className="space-y-2 rounded-lg border border-amber-200 bg-amber-50 p-4 dark:border-amber-800 dark:bg-amber-950">
      <h2 id="delete-heading" className="text-base font-semibold text-amber-900 dark:text-amber-200">
        Your account will be deleted
      </h2>
      <p className="text-sm text-amber-900 dark:text-amber-200">
        On <time dateTime={at}>{formatDateTime(at)}</time>. Use “Keep my account” in the banner above to cancel.
      </p>
    </section>
  );
}
