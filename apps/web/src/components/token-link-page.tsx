import { useEffect, useRef, type ReactNode } from 'react';
import { FormAlert, Notice } from './alerts.tsx';
import { Card, PageHeading } from './layout.tsx';
import { linkClasses } from './signed-in.tsx';
import { LoadingStatus } from './spinner.tsx';
import { Link } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useUrlToken } from '../lib/use-url-token.ts';

/** The part of a tRPC mutation a link page reads. */
interface TokenMutation<T> {
  mutate(input: { token: string }): void;
  isIdle: boolean;
  isPending: boolean;
  isSuccess: boolean;
  isError: boolean;
  error: { message: string } | null;
  data: T | undefined;
}

/**
 * The landing page of a mailed single-use link (email verification, email change and its undo):
 * uses the token of the URL once on arrival, shows progress, then the outcome and where to go next.
 */
export function TokenLinkPage<T>({ title, pending, mutation, success, next }: { title: string; pending: string; mutation: TokenMutation<T>; success: (data: T) => string; next: ReactNode }) {
  useDocumentTitle(title);
  const token = useUrlToken();
  const started = useRef(false);
  useEffect(() => {
    // Once only: the token is single-use, and React may run effects twice in development.
    if (started.current || !token) return;
    started.current = true;
    mutation.mutate({ token });
  }, [token, mutation]);

  return (
    <Card>
      <PageHeading title={title} />
      <div className="space-y-4">
        {!token && <FormAlert error={{ message: 'This link has no token. Open the link from the email again.' }} />}
        {token && (mutation.isIdle || mutation.isPending) && <LoadingStatus label={pending} />}
        {mutation.isSuccess && mutation.data !== undefined && <Notice>{success(mutation.data)}</Notice>}
        {mutation.isError && <FormAlert error={{ message: mutation.error?.message ?? 'Something went wrong.' }} />}
        {(mutation.isSuccess || mutation.isError || !token) && next}
      </div>
    </Card>
  );
}

/** Where a link page sends a signed-in owner next: their account. */
export function GoToAccount() {
  return (
    <p className="text-sm">
      <Link to="/account" className={linkClasses}>
        Go to your account
      </Link>
    </p>
  );
}
