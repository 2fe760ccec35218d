import { useEffect, useRef } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { linkClasses } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { Link } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useUrlToken } from '../lib/use-url-token.ts';
import { trpc } from '../trpc.ts';

/** Uses the single-use token of the page's link once, on arrival. */
function useOnce(token: string, run: (token: string) => void) {
  const started = useRef(false);
  useEffect(() => {
    // React may run effects twice in development; the token works once.
    if (started.current || !token) return;
    started.current = true;
    run(token);
  }, [token, run]);
}

/** The link mailed to the new address. */
export function ConfirmEmailChangePage() {
  useDocumentTitle('Confirm your new email');
  const utils = trpc.useUtils();
  const confirm = trpc.auth.confirmEmailChange.useMutation({ onSuccess: () => utils.auth.me.invalidate() });
  const token = useUrlToken();
  useOnce(token, (value) => confirm.mutate({ token: value }));
  return (
    <Card>
      <PageHeading title="Confirm your new email" />
      <div className="space-y-4">
        {!token && <FormAlert error={{ message: 'This link has no token. Open the link from the email again.' }} />}
        {token && (confirm.isIdle || confirm.isPending) && <LoadingStatus label="Changing your email address…" />}
        {confirm.isSuccess && <Notice>{`Done: your account’s email address is now ${confirm.data.email}. Sign in with it from now on.`}</Notice>}
        {confirm.isError && <FormAlert error={{ message: confirm.error.message }} />}
        {(confirm.isSuccess || confirm.isError || !token) && (
          <p className="text-sm">
            <Link to="/account" className={linkClasses}>
              Go to your account
            </Link>
          </p>
        )}
      </div>
    </Card>
  );
}

/** The link mailed to the old address after a change: gives the account its address back. */
export function UndoEmailChangePage() {
  useDocumentTitle('Undo the email change');
  const queryClient = trpc.useUtils();
  const undo = trpc.auth.undoEmailChange.useMutation({ onSuccess: () => queryClient.invalidate() });
  const token = useUrlToken();
  useOnce(token, (value) => undo.mutate({ token: value }));
  return (
    <Card>
      <PageHeading title="Undo the email change" />
      <div className="space-y-4">
        {!token && <FormAlert error={{ message: 'This link has no token. Open the link from the email again.' }} />}
        {token && (undo.isIdle || undo.isPending) && <LoadingStatus label="Restoring your email address…" />}
        {undo.isSuccess && (
          <Notice>{`Your account’s email address is ${undo.data.email} again, and every session was signed out. If you did not make the change, reset your password now.`}</Notice>
        )}
        {undo.isError && <FormAlert error={{ message: undo.error.message }} />}
        {(undo.isSuccess || undo.isError || !token) && (
          <p className="flex flex-wrap gap-4 text-sm">
            <Link to="/forgot-password" className={linkClasses}>
              Reset your password
            </Link>
            <Link to="/sign-in" className={linkClasses}>
              Sign in
            </Link>
          </p>
        )}
      </div>
    </Card>
  );
}
