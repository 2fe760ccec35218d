import { useId } from 'react';
import type { RouterInputs } from '@bastion/api';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { BackToAccount, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { formatDateTime } from '../lib/format.ts';
import { navigate, useSearchParams } from '../lib/router.tsx';
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
  email_change_requested: 'Email change requested',
  email_changed: 'Email address changed',
  email_change_reverted: 'Email change undone: all sessions signed out',
  profile_updated: 'Name changed',
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
  oauth_failed: 'Sign-in with Google refused',
  password_set: 'Password set',
  connected_account_linked: 'Google account connected',
  connected_account_disconnected: 'Google account disconnected',
  connected_account_revoked: 'Google withdrew its access',
  connected_account_needs_reauth: 'Google account needs reconnecting',
  provider_token_refreshed: 'Google access renewed',
  provider_token_refresh_failed: 'Google access could not be renewed',
  provider_event_received: 'Security notice from Google',
};

type Kind = Exclude<RouterInputs['auth']['securityLog'], void | undefined>['kind'];

const KINDS: { value: Kind | ''; label: string }[] = [
  { value: '', label: 'All events' },
  { value: 'alerts', label: 'Alerts only' },
  { value: 'sign_ins', label: 'Sign-ins' },
  { value: 'sessions', label: 'Sessions' },
  { value: 'account', label: 'Account changes' },
  { value: 'two_factor', label: 'Two-factor authentication' },
  { value: 'api_keys', label: 'API keys' },
];

/** Worth a second look: someone may be guessing, or a session was stolen. */
const ALERTS = new Set(['login_failed', 'two_factor_failed', 'account_locked', 'account_throttled', 'refresh_token_reused', 'api_key_refused', 'account_disabled']);

export function SecurityLogPage() {
  useDocumentTitle('Security log');
  return <SignedIn>{() => <SecurityLog />}</SignedIn>;
}

function SecurityLog() {
  const params = useSearchParams();
  const kind = (KINDS.find((option) => option.value === params.get('kind'))?.value || undefined) as Kind;
  const log = trpc.auth.securityLog.useInfiniteQuery({ limit: 20, kind }, { getNextPageParam: (page) => page.nextCursor ?? undefined });
  const filterId = useId();
  // In the URL, so a filtered view can be shared and the back button undoes a change.
  const setKind = (value: string) => navigate(value ? `/account/security-log?kind=${value}` : '/account/security-log', { replace: false });
  const items = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Card wide>
      <PageHeading title="Security log" subtitle="Sign-ins and changes to your account, newest first." />
      <div className="mb-4 space-y-1.5">
        <label htmlFor={filterId} className="block text-sm font-medium text-slate-800 dark:text-gray-200">
          Show
        </label>
        <select
          id={filterId}
          aria-describedby={`${filterId}-hint`}
          value={kind ?? ''}
          onChange={(event) => setKind(event.target.value)}
          className="block min-h-11 w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base text-slate-900 shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:w-auto sm:text-sm dark:border-gray-700 dark:bg-gray-800 dark:text-gray-100"
        >
          {KINDS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
        <p id={`${filterId}-hint`} className="text-sm text-slate-500 dark:text-gray-400">
          Alerts are failed sign-ins and codes, paused sign-ins, reused sessions and refused API keys.
        </p>
      </div>
      {log.isPending && <LoadingStatus label="Loading events…" />}
      {log.isError && <FormAlert error={{ message: 'The security log could not be loaded. Reload the page to try again.' }} />}
      {log.isSuccess && items.length === 0 && <p className="text-sm text-slate-600 dark:text-gray-400">{kind ? 'No events of this kind.' : 'No events yet.'}</p>}
      {items.length > 0 && (
        <ol className="divide-y divide-slate-100 border-y border-slate-100 dark:divide-gray-700 dark:border-gray-700" aria-label="Security events">
          {items.map((item) => {
            const alert = ALERTS.has(item.type);
            return (
              <li key={item.id} data-alert={alert || undefined} className={`space-y-0.5 py-3 ${alert ? '-mx-3 border-l-4 border-red-500 bg-red-50 px-3 dark:bg-red-950/40' : ''}`}>
                <p className={`flex flex-wrap items-center gap-2 text-sm font-medium ${alert ? 'text-red-900 dark:text-red-200' : 'text-slate-900 dark:text-gray-100'}`} data-event-type={item.type}>
                  {alert && <span className="rounded-full bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-800 dark:bg-red-900 dark:text-red-100">Alert</span>}
                  {LABELS[item.type] ?? item.type}
                </p>
                <p className={`text-xs ${alert ? 'text-red-800 dark:text-red-200' : 'text-slate-500 dark:text-gray-400'}`}>
                  <time dateTime={item.createdAt}>{formatDateTime(item.createdAt)}</time> · {item.device} · {item.ip ?? 'unknown address'}
                </p>
              </li>
            );
          })}
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
