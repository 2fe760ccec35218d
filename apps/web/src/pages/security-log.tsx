import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { BackToAccount, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';

const LABELS: Record<string, string> = {
  login_succeeded: 'Signed in',
  login_failed: 'Failed sign-in',
  logout: 'Signed out',
  session_revoked: 'Session signed out',
  sessions_revoked: 'Signed out everywhere',
  refresh_token_reused: 'Suspicious session reuse: session ended',
  user_registered: 'Account created',
  account_locked: 'Sign-in paused after failed attempts',
  account_throttled: 'Sign-in from new devices paused after many failed attempts',
  account_unlocked: 'Sign-in unlocked by an administrator',
  account_disabled: 'Account disabled',
  email_verified: 'Email address confirmed',
  password_reset_requested: 'Password reset requested',
  password_reset: 'Password reset',
  password_changed: 'Password changed',
  two_factor_enabled: 'Two-factor authentication turned on',
  two_factor_disabled: 'Two-factor authentication turned off',
  two_factor_failed: 'Wrong two-factor code',
  recovery_code_used: 'Recovery code used',
  recovery_codes_regenerated: 'New recovery codes created',
  api_key_created: 'API key created',
  api_key_revoked: 'API key revoked',
  api_key_refused: 'API key refused',
};

export function SecurityLogPage() {
  useDocumentTitle('Security log');
  return <SignedIn>{() => <SecurityLog />}</SignedIn>;
}

function SecurityLog() {
  const log = trpc.auth.securityLog.useInfiniteQuery({ limit: 20 }, { getNextPageParam: (page) => page.nextCursor ?? undefined });
  const items = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Card wide>
      <PageHeading title="Security log" subtitle="Sign-ins and changes to your account, newest first." />
      {log.isPending && <LoadingStatus label="Loading events…" />}
      {log.isError && <FormAlert error={{ message: 'The security log could not be loaded. Reload the page to try again.' }} />}
      {log.isSuccess && items.length === 0 && <p className="text-sm text-slate-600 dark:text-gray-400">No events yet.</p>}
      {items.length > 0 && (
        <ol className="divide-y divide-slate-100 border-y border-slate-100 dark:divide-gray-700 dark:border-gray-700" aria-label="Security events">
          {items.map((item) => (
            <li key={item.id} className="space-y-0.5 py-3">
              <p className="text-sm font-medium text-slate-900 dark:text-gray-100" data-event-type={item.type}>
                {LABELS[item.type] ?? item.type}
              </p>
              <p className="text-xs text-slate-500 dark:text-gray-400">
                <time dateTime={item.createdAt}>{formatDateTime(item.createdAt)}</time> · {item.device} · {item.ip ?? 'unknown address'}
              </p>
            </li>
          ))}
        </ol>
      )}
      {log.hasNextPage && (
        <Button className="mt-4" variant="secondary" pending={log.isFetchingNextPage} pendingLabel="Loading…" onClick={() => void log.fetchNextPage()}>
          Show older events
        </Button>
      )}
      <BackToAccount />
    </Card>
  );
}
