import { useState, type ReactNode } from 'react';
import { FormAlert, Notice } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Avatar, Card, PageHeading } from '../components/layout.tsx';
import { ChangeEmailDialog, EditNameDialog } from '../components/profile-dialogs.tsx';
import { linkClasses, SignedIn } from '../components/signed-in.tsx';
import { formatDate } from '../lib/format.ts';
import { Link } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { usePermissions, type User } from '../session.ts';
import { trpc } from '../trpc.ts';

export function AccountPage() {
  useDocumentTitle('Your account');
  return <SignedIn loading={<AccountSkeleton />}>{(user) => <AccountDetails user={user} />}</SignedIn>;
}

function AccountDetails({ user }: { user: User }) {
  const [editing, setEditing] = useState<'name' | 'email' | null>(null);
  const [pendingEmail, setPendingEmail] = useState<string | null>(null);
  return (
    <Card wide>
      <PageHeading title="Your account" subtitle="The details Bastion holds about you." leading={<Avatar user={user} className="size-14 text-xl" />} />
      {!user.emailVerified && <VerifyEmailBanner />}
      {pendingEmail && (
        <div className="mb-4">
          <Notice>{`Check your inbox at ${pendingEmail}: open the link we sent to finish the change. Until then your address stays ${user.email}.`}</Notice>
        </div>
      )}
      <dl className="divide-y divide-slate-100 border-y border-slate-100 dark:divide-gray-700 dark:border-gray-700">
        <Row term="Email">
          <span data-testid="account-email" className="break-all">
            {user.email}
          </span>
          <EmailBadge verified={user.emailVerified} />
          <RowAction label="Change email address" onClick={() => setEditing('email')}>
            Change
          </RowAction>
        </Row>
        <Row term="Name">
          {user.name ?? <span className="text-slate-500 dark:text-gray-400">Not set</span>}
          <RowAction label="Edit name" onClick={() => setEditing('name')}>
            Edit
          </RowAction>
        </Row>
        <Row term="Role">
          <span className="rounded-md bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700 capitalize dark:bg-gray-800 dark:text-gray-300">{user.role}</span>
        </Row>
        <Row term="Member since">
          <time dateTime={user.createdAt}>{formatDate(user.createdAt, 'long')}</time>
        </Row>
      </dl>
      <EditNameDialog user={user} open={editing === 'name'} onClose={() => setEditing(null)} />
      <ChangeEmailDialog user={user} open={editing === 'email'} onClose={() => setEditing(null)} onRequested={setPendingEmail} />
      <nav aria-label="Security" className="mt-6">
        <h2 className="mb-2 text-sm font-semibold text-slate-900 dark:text-gray-100">Security</h2>
        <ul className="grid gap-2 sm:grid-cols-2">
          {SECURITY_LINKS.map(([to, label]) => (
            <li key={to}>
              <Link to={to} className={ACCOUNT_LINK}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <nav aria-label="Settings" className="mt-6">
        <h2 className="mb-2 text-sm font-semibold text-slate-900 dark:text-gray-100">Settings</h2>
        <ul className="grid gap-2 sm:grid-cols-2">
          <li>
            <Link to="/settings/preferences" className={ACCOUNT_LINK}>
              Preferences: theme, time zone, language
            </Link>
          </li>
        </ul>
      </nav>
      <AdminLink />
      <nav aria-label="Integrations" className="mt-6">
        <h2 className="mb-2 text-sm font-semibold text-slate-900 dark:text-gray-100">Integrations</h2>
        <ul className="grid gap-2 sm:grid-cols-2">
          <li>
            <Link to="/webhooks" className={ACCOUNT_LINK}>
              Webhooks
            </Link>
          </li>
        </ul>
      </nav>
    </Card>
  );
}

/** Staff reach the console from here at every width (the header has no room for it at 360 px). */
function AdminLink() {
  const permissions = usePermissions();
  if (!permissions.has('users:read')) return null;
  return (
    <p className="mt-6 text-sm">
      <Link to="/admin/users" className="font-semibold text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300">
        Administration: users and audit log →
      </Link>
    </p>
  );
}

const SECURITY_LINKS = [
  ['/account/password', 'Change password'],
  ['/account/sessions', 'Sessions and devices'],
  ['/account/two-factor', 'Two-factor authentication'],
  ['/account/security-log', 'Security log'],
  ['/account/api-keys', 'API keys'],
  ['/account/connected-accounts', 'Connected accounts'],
  ['/account/privacy', 'Privacy and your data'],
] as const;

/** Unverified users can use the account, and are told what to do and how to get a new link. */
function VerifyEmailBanner() {
  const resend = trpc.auth.resendVerification.useMutation();
  return (
    <div className="mb-4 space-y-3 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
      <p>Confirm your email address with the link we sent you. Until then, two-factor authentication cannot be turned on.</p>
      {resend.isSuccess && <Notice>We sent a new link. It expires in 24 hours.</Notice>}
      {resend.isError && <FormAlert error={{ message: resend.error.message }} />}
      {(import.meta.env.DEV || localStorage.getItem('bastion.devMailboxKey')) && (
        // Development only: mail goes to the app's outbox, not to a real inbox.
        <p>
          <Link to="/dev/mailbox" className={linkClasses}>
            Open the development mailbox
          </Link>
        </p>
      )}
      {!resend.isSuccess && (
        <Button variant="secondary" compact pending={resend.isPending} pendingLabel="Sending…" onClick={() => resend.mutate()}>
          Send a new link
        </Button>
      )}
    </div>
  );
}

const ACCOUNT_LINK =
  'flex min-h-11 items-center rounded-lg px-3 py-2 text-sm font-medium text-indigo-700 ring-1 ring-slate-200 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300 dark:ring-gray-700 dark:hover:bg-gray-800';

function RowAction({ label, onClick, children }: { label: string; onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" aria-label={label} onClick={onClick} className={`ml-auto inline-flex min-h-11 items-center rounded-md px-2 text-sm ${linkClasses}`}>
      {children}
    </button>
  );
}

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="grid gap-1 py-3 sm:grid-cols-3 sm:gap-4">
      <dt className="text-sm font-medium text-slate-500 dark:text-gray-400">{term}</dt>
      <dd className="flex min-w-0 flex-wrap items-center gap-2 text-sm text-slate-900 sm:col-span-2 dark:text-gray-100">{children}</dd>
    </div>
  );
}

function EmailBadge({ verified }: { verified: boolean }) {
  return verified ? (
    <span className="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700 ring-1 ring-emerald-600/20 ring-inset dark:bg-emerald-950 dark:text-emerald-300">Verified</span>
  ) : (
    <span className="rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-amber-600/20 ring-inset dark:bg-amber-950 dark:text-amber-200">Not verified</span>
  );
}

function AccountSkeleton() {
  return (
    <Card wide>
      <div role="status" className="animate-pulse">
        <span className="sr-only">Loading your account…</span>
        <div className="mb-6 flex items-center gap-4">
          <div className="size-14 rounded-full bg-slate-200 dark:bg-gray-700" />
          <div className="h-6 w-40 rounded bg-slate-200 dark:bg-gray-700" />
        </div>
        {[1, 2, 3, 4].map((row) => (
          <div key={row} className="flex gap-4 border-t border-slate-100 py-4 dark:border-gray-700">
            <div className="h-4 w-24 rounded bg-slate-200 dark:bg-gray-700" />
            <div className="h-4 flex-1 rounded bg-slate-100 dark:bg-gray-800" />
          </div>
        ))}
      </div>
    </Card>
  );
}
