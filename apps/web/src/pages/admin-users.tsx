import { useState, type FormEvent, type ReactNode } from 'react';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Dialog } from '../components/dialog.tsx';
import { PageHeading } from '../components/layout.tsx';
import { linkClasses, SignedIn } from '../components/signed-in.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { TextField } from '../components/text-field.tsx';
import { useToast } from '../components/toast.tsx';
import { noErrors, toSubmitErrors, type SubmitErrors } from '../lib/api-error.ts';
import { formatDateTime } from '../lib/format.ts';
import { Link, useSearchParams } from '../lib/router.tsx';
import { useDebouncedValue } from '../lib/use-debounced-value.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { usePermissions, type Permission } from '../session.ts';
import { trpc } from '../trpc.ts';
import type { RouterInputs } from '@bastion/api';

type Role = 'user' | 'support' | 'admin';
type Status = 'active' | 'disabled' | 'pending_deletion';

const STATUS_LABELS: Record<Status, string> = { active: 'Active', disabled: 'Disabled', pending_deletion: 'Deletion scheduled' };
const selectClasses = 'block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base text-slate-900 shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:text-sm dark:border-gray-700 dark:bg-gray-800 dark:text-gray-100';

/** Staff only; the server refuses every call of someone without the permission regardless. */
export function StaffOnly({ permission, children }: { permission: Permission; children: () => ReactNode }) {
  const permissions = usePermissions();
  return (
    <SignedIn>
      {() =>
        permissions.has(permission) ? (
          children()
        ) : (
          <section className="w-full max-w-md rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200 sm:p-8 dark:bg-gray-900 dark:ring-gray-700">
            <PageHeading title="Not available" subtitle="This page is for administrators and support staff." />
            <Link to="/account" className={linkClasses}>
              ← Back to your account
            </Link>
          </section>
        )
      }
    </SignedIn>
  );
}

export function AdminUsersPage() {
  const id = useSearchParams().get('id');
  useDocumentTitle(id ? 'User' : 'Users');
  return <StaffOnly permission="users:read">{() => (id ? <UserDetail id={id} /> : <UserList />)}</StaffOnly>;
}

export function AdminNav({ current }: { current: 'users' | 'audit' }) {
  const permissions = usePermissions();
  const item = (to: string, label: string, active: boolean) => (
    <Link to={to} aria-current={active ? 'page' : undefined} className={`rounded-md px-3 py-1.5 text-sm font-semibold focus-visible:outline-2 focus-visible:outline-indigo-600 ${active ? 'bg-indigo-50 text-indigo-800' : 'text-slate-700 hover:bg-slate-100'}`}>
      {label}
    </Link>
  );
  return (
    <nav aria-label="Administration" className="mb-4 flex gap-2">
      {item('/admin/users', 'Users', current === 'users')}
      {permissions.has('audit:read') && item('/admin/audit', 'Audit log', current === 'audit')}
    </nav>
  );
}

function Panel({ children }: { children: ReactNode }) {
  return <section className="w-full max-w-4xl rounded-2xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:p-8 dark:bg-gray-900 dark:ring-gray-700">{children}</section>;
}

function UserList() {
  const [search, setSearch] = useState('');
  const [role, setRole] = useState<Role | ''>('');
  const [status, setStatus] = useState<Status | ''>('');
  const debounced = useDebouncedValue(search.trim(), 300);
  const input: RouterInputs['admin']['users']['list'] = { limit: 25, ...(debounced ? { search: debounced } : {}), ...(role ? { role } : {}), ...(status ? { status } : {}) };
  const list = trpc.admin.users.list.useInfiniteQuery(input, { getNextPageParam: (page) => page.nextCursor ?? undefined });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Panel>
      <AdminNav current="users" />
      <PageHeading title="Users" subtitle="Search by email or name; open a user to act on the account." />
      <div className="mb-4 grid gap-3 sm:grid-cols-3">
        <TextField label="Search" name="search" type="search" value={search} onChange={(event) => setSearch(event.target.value)} />
        <div className="space-y-1.5">
          <label htmlFor="role-filter" className="block text-sm font-medium text-slate-800 dark:text-gray-100">
            Role
          </label>
          <select id="role-filter" className={selectClasses} value={role} onChange={(event) => setRole(event.target.value as Role | '')}>
            <option value="">Any role</option>
            <option value="user">User</option>
            <option value="support">Support</option>
            <option value="admin">Admin</option>
          </select>
        </div>
        <div className="space-y-1.5">
          <label htmlFor="status-filter" className="block text-sm font-medium text-slate-800 dark:text-gray-100">
            Status
          </label>
          <select id="status-filter" className={selectClasses} value={status} onChange={(event) => setStatus(event.target.value as Status | '')}>
            <option value="">Any status</option>
            {(Object.keys(STATUS_LABELS) as Status[]).map((value) => (
              <option key={value} value={value}>
                {STATUS_LABELS[value]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {list.isPending && <LoadingStatus label="Loading users…" />}
      {list.isError && <FormAlert error={{ message: 'Users could not be loaded. Reload the page to try again.' }} />}
      {list.isSuccess && items.length === 0 && <p className="text-sm text-slate-600 dark:text-gray-400">No users match.</p>}
      {items.length > 0 && (
        <ul aria-label="Users" className="divide-y divide-slate-100 border-y border-slate-100 dark:divide-gray-700 dark:border-gray-700">
          {items.map((user) => (
            <li key={user.id} className="flex flex-wrap items-center justify-between gap-2 py-3">
              <div className="min-w-0">
                <Link to={`/admin/users?id=${user.id}`} className={`${linkClasses} break-all`}>
                  {user.email}
                </Link>
                <p className="text-xs text-slate-500 dark:text-gray-400">
                  {user.name ?? 'No name'} · joined {formatDateTime(user.createdAt)}
                </p>
              </div>
              <div className="flex gap-2">
                <Badge>{user.role}</Badge>
                <Badge tone={user.status === 'active' ? 'ok' : 'warn'}>{STATUS_LABELS[user.status]}</Badge>
              </div>
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <Button className="mt-4" variant="secondary" pending={list.isFetchingNextPage} pendingLabel="Loading…" onClick={() => void list.fetchNextPage()}>
          Show more
        </Button>
      )}
    </Panel>
  );
}

function Badge({ children, tone = 'plain' }: { children: ReactNode; tone?: 'plain' | 'ok' | 'warn' }) {
  const colours = { plain: 'bg-slate-100 text-slate-700 dark:bg-gray-800 dark:text-gray-300', ok: 'bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200', warn: 'bg-amber-50 text-amber-900 dark:bg-amber-950 dark:text-amber-200' }[tone];
  return <span className={`rounded-md px-2 py-0.5 text-xs font-medium capitalize ${colours}`}>{children}</span>;
}

type Action = 'disable' | 'enable' | 'unlock' | 'setRole' | 'revokeSessions' | 'disableTwoFactor';

const ACTIONS: { action: Action; label: string; permission: Permission; destructive?: boolean }[] = [
  { action: 'unlock', label: 'Unlock sign-in', permission: 'users:unlock' },
  { action: 'revokeSessions', label: 'Sign out everywhere', permission: 'users:revokeSessions', destructive: true },
  { action: 'setRole', label: 'Change role', permission: 'users:setRole' },
  { action: 'disableTwoFactor', label: 'Turn off 2FA', permission: 'users:resetTwoFactor', destructive: true },
  { action: 'disable', label: 'Disable account', permission: 'users:disable', destructive: true },
  { action: 'enable', label: 'Enable account', permission: 'users:disable' },
];

function UserDetail({ id }: { id: string }) {
  const detail = trpc.admin.users.get.useQuery({ id });
  const permissions = usePermissions();
  const [action, setAction] = useState<Action | null>(null);
  if (detail.isPending) return <Panel><LoadingStatus label="Loading the user…" /></Panel>;
  if (detail.isError) {
    return (
      <Panel>
        <AdminNav current="users" />
        <FormAlert error={{ message: detail.error.data?.code === 'NOT_FOUND' ? 'There is no such user.' : 'The user could not be loaded. Reload the page to try again.' }} />
      </Panel>
    );
  }
  const { user, sessions, securityEvents } = detail.data;
  const available = ACTIONS.filter((a) => permissions.has(a.permission) && (a.action !== 'enable' || user.status === 'disabled') && (a.action !== 'disable' || user.status !== 'disabled'));
  return (
    <Panel>
      <AdminNav current="users" />
      <p className="mb-2 text-sm">
        <Link to="/admin/users" className={linkClasses}>
          ← All users
        </Link>
      </p>
      <PageHeading title={user.email} subtitle={user.name ?? undefined} />
      <dl className="mb-6 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
        <Item term="Role"><Badge>{user.role}</Badge></Item>
        <Item term="Status"><Badge tone={user.status === 'active' ? 'ok' : 'warn'}>{STATUS_LABELS[user.status]}</Badge></Item>
        <Item term="Email">{user.emailVerified ? 'Verified' : 'Not verified'}</Item>
        <Item term="Two-factor">{user.twoFactorEnabled ? 'On' : 'Off'}</Item>
        <Item term="Joined">{formatDateTime(user.createdAt)}</Item>
        {user.deletionScheduledAt && <Item term="Deletion">{formatDateTime(user.deletionScheduledAt)}</Item>}
      </dl>
      {available.length > 0 && (
        <div className="mb-6 flex flex-wrap gap-2" role="group" aria-label="Actions">
          {available.map((a) => (
            <Button key={a.action} variant="secondary" compact className={a.destructive ? 'text-red-700 dark:text-red-300' : ''} onClick={() => setAction(a.action)}>
              {a.label}
            </Button>
          ))}
        </div>
      )}
      <h2 className="mb-2 text-sm font-semibold text-slate-900 dark:text-gray-100">Sessions</h2>
      {sessions.length === 0 ? (
        <p className="mb-6 text-sm text-slate-600 dark:text-gray-400">No sessions.</p>
      ) : (
        <ul aria-label="Sessions" className="mb-6 divide-y divide-slate-100 border-y border-slate-100 text-sm dark:divide-gray-700 dark:border-gray-700">
          {sessions.map((s) => (
            <li key={s.id} className="py-2">
              <p className="break-all text-slate-900 dark:text-gray-100">{s.userAgent ?? 'Unknown device'}</p>
              <p className="text-xs text-slate-500 dark:text-gray-400">
                {s.ip ?? 'unknown address'} · last used {formatDateTime(s.lastUsedAt)} · {s.revokedAt ? `ended (${s.revokedReason ?? 'revoked'})` : 'active'}
              </p>
            </li>
          ))}
        </ul>
      )}
      <h2 className="mb-2 text-sm font-semibold text-slate-900 dark:text-gray-100">Security events</h2>
      {securityEvents.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-gray-400">No events.</p>
      ) : (
        <ul aria-label="Security events" className="divide-y divide-slate-100 border-y border-slate-100 text-sm dark:divide-gray-700 dark:border-gray-700">
          {securityEvents.map((e) => (
            <li key={e.id} className="flex flex-wrap justify-between gap-2 py-2">
              <span className="font-mono text-xs text-slate-800 dark:text-gray-100">{e.type}</span>
              <span className="text-xs text-slate-500 dark:text-gray-400">{formatDateTime(e.createdAt)}</span>
            </li>
          ))}
        </ul>
      )}
      {action && <ActionDialog action={action} userId={user.id} currentRole={user.role} onClose={() => setAction(null)} />}
    </Panel>
  );
}

function Item({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="flex items-center gap-2">
      <dt className="w-24 shrink-0 text-slate-500 dark:text-gray-400">{term}</dt>
      <dd className="text-slate-900 dark:text-gray-100">{children}</dd>
    </div>
  );
}

/** Every action asks for a reason, kept in the audit log; destructive ones say what they do. */
function ActionDialog({ action, userId, currentRole, onClose }: { action: Action; userId: string; currentRole: Role; onClose: () => void }) {
  const meta = ACTIONS.find((a) => a.action === action)!;
  const utils = trpc.useUtils();
  const toast = useToast();
  const [errors, setErrors] = useState<SubmitErrors<'reason' | 'role'>>(noErrors);
  const options = {
    onSuccess: async () => {
      await utils.admin.users.invalidate();
      toast(`${meta.label}: done.`);
      onClose();
    },
    onError: (error: unknown) => setErrors(toSubmitErrors(error, ['reason', 'role'])),
  };
  const mutations = {
    disable: trpc.admin.users.disable.useMutation(options),
    enable: trpc.admin.users.enable.useMutation(options),
    unlock: trpc.admin.users.unlock.useMutation(options),
    setRole: trpc.admin.users.setRole.useMutation(options),
    revokeSessions: trpc.admin.users.revokeSessions.useMutation(options),
    disableTwoFactor: trpc.admin.users.disableTwoFactor.useMutation(options),
  };
  const pending = Object.values(mutations).some((m) => m.isPending);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const reason = String(data.get('reason') ?? '').trim();
    setErrors(noErrors);
    if (reason.length < 3) {
      setErrors({ fields: { reason: 'Give a reason of at least 3 characters.' }, form: null });
      return;
    }
    if (action === 'setRole') mutations.setRole.mutate({ id: userId, reason, role: String(data.get('role')) as Role });
    else mutations[action].mutate({ id: userId, reason });
  };
  return (
    <Dialog title={meta.label} open onClose={onClose}>
      <form onSubmit={submit} noValidate className="space-y-4">
        {meta.destructive && <p className="text-sm text-slate-600 dark:text-gray-400">This takes effect at once, on every device of the user.</p>}
        {errors.form && <FormAlert error={errors.form} />}
        {action === 'setRole' && (
          <div className="space-y-1.5">
            <label htmlFor="new-role" className="block text-sm font-medium text-slate-800 dark:text-gray-100">
              New role
            </label>
            <select id="new-role" name="role" defaultValue={currentRole} className={selectClasses}>
              <option value="user">User</option>
              <option value="support">Support</option>
              <option value="admin">Admin</option>
            </select>
          </div>
        )}
        <TextField label="Reason" name="reason" required hint="Kept in the audit log with the action." error={errors.fields.reason} />
        <div className="flex flex-wrap justify-end gap-3">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" pending={pending} pendingLabel="Working…">
            {meta.label}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
