import { useEffect, useRef } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { linkClasses } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { Link } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useUrlToken } from '../lib/use-url-token.ts';
import { trpc } from '../trpc.ts';

/** The landing page of the link in the verification email. */
export function VerifyEmailPage() {
  useDocumentTitle('Confirm your email');
  const utils = trpc.useUtils();
  const verify = trpc.auth.verifyEmail.useMutation({ onSuccess: () => utils.auth.me.invalidate() });
  const started = useRef(false);
  const token = useUrlToken();

  useEffect(() => {
    // Once only: the token is single-use, and React may run effects twice in development.
    if (started.current || !token) return;
    started.current = true;
    verify.mutate({ token });
  }, [token, verify]);

  return (
    <Card>
      <PageHeading title="Confirm your email" />
      <div className="space-y-4">
        {!token && <FormAlert error={{ message: 'This link has no token. Open the link from the email again.' }} />}
        {token && (verify.isIdle || verify.isPending) && <LoadingStatus label="Confirming your email address…" />}
        {verify.isSuccess && <Notice>Your email address is confirmed. Thank you!</Notice>}
        {verify.isError && <FormAlert error={{ message: verify.error.message }} />}
        {(verify.isSuccess || verify.isError || !token) && (
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
