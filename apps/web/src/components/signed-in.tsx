import type { ReactNode } from 'react';
import { Link, Redirect } from '../lib/router.tsx';
import { signInUrl } from '../lib/session-end.ts';
import { useSession, type User } from '../session.ts';
import { Button } from './button.tsx';
import { Card, PageHeading } from './layout.tsx';
import { LoadingStatus } from './spinner.tsx';

/** Renders `children` for a signed-in user; sends others to sign in. */
export function SignedIn({ children, loading }: { children: (user: User) => ReactNode; loading?: ReactNode }) {
  const session = useSession();
  switch (session.status) {
    case 'signed-out':
      return <Redirect to={signInUrl(window.location)} />;
    case 'loading':
      return (
        loading ?? (
          <Card>
            <LoadingStatus label="Loading your account…" />
          </Card>
        )
      );
    case 'error':
      return (
        <Card>
          <PageHeading title="We could not load your account" subtitle="Bastion did not answer. Check your connection, then try again." />
          <Button onClick={session.retry} pending={session.retrying} pendingLabel="Retrying…">
            Try again
          </Button>
        </Card>
      );
    case 'signed-in':
      return children(session.user);
  }
}

export function BackToAccount() {
  return (
    <p className="mt-6 text-sm">
      <Link to="/account" className={linkClasses}>
        ← Back to your account
      </Link>
    </p>
  );
}

export const linkClasses = 'font-semibold text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300';
