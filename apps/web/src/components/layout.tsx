import { useEffect, useId, useRef, useState, type FocusEvent, type ReactNode } from 'react';
import { Link, usePathname } from '../lib/router.tsx';
import { usePermissions, useSession, useSignOut, type User } from '../session.ts';
import { DeletionBanner } from './deletion-banner.tsx';
import { buttonClasses } from './button.tsx';

export function Layout({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col bg-slate-50 text-slate-900 dark:bg-gray-950 dark:text-gray-100">
      <a
        href="#main"
        className="sr-only rounded-md bg-white dark:bg-gray-900 px-3 py-2 text-sm font-medium shadow focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10 focus:outline-2 focus:outline-indigo-600"
      >
        Skip to content
      </a>
      <Header />
      <SignedInBanner />
      <main id="main" className="flex flex-1 items-start justify-center px-4 py-10 sm:items-center sm:py-16">
        {children}
      </main>
      <footer className="px-4 py-6 text-center text-xs text-slate-500 dark:text-gray-400">Bastion keeps your session in secure, http-only cookies.</footer>
    </div>
  );
}

function SignedInBanner() {
  const session = useSession();
  return session.status === 'signed-in' ? <DeletionBanner user={session.user} /> : null;
}

const NAV_LINK =
  'inline-flex min-h-11 items-center rounded-md px-2 text-sm font-semibold whitespace-nowrap text-slate-700 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 sm:px-3 dark:text-gray-300 dark:hover:text-white';

function Header() {
  const session = useSession();
  // A link to the page you are on is noise, and dropping it keeps the header on one line at 360 px.
  const pathname = usePathname();
  return (
    <header className="relative border-b border-slate-200 bg-white dark:border-gray-700 dark:bg-gray-900">
      <div className="mx-auto flex h-16 max-w-5xl items-center justify-between gap-2 px-4">
        <Link to="/" className="flex min-h-11 min-w-11 shrink-0 items-center gap-2 rounded-md text-lg font-bold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-indigo-600">
          <img src="/favicon.svg" alt="" className="size-7" />
          {/* The narrowest phones need the room for the signed-in links; the logo keeps the name for screen readers. */}
          <span className="max-[400px]:sr-only">Bastion</span>
        </Link>
        <nav aria-label="Main" className="flex min-w-0 items-center gap-1 sm:gap-2">
          {session.status === 'signed-in' && (
            <>
              {pathname !== '/contacts' && (
                <Link to="/contacts" className={NAV_LINK}>
                  Contacts
                </Link>
              )}
              {pathname !== '/assistant' && (
                <Link to="/assistant" className={NAV_LINK}>
                  Assistant
                </Link>
              )}
              <UserMenu user={session.user} />
            </>
          )}
          {session.status === 'signed-out' && (
            <>
              {pathname !== '/sign-in' && (
                <Link to="/sign-in" className={NAV_LINK}>
                  Sign in
                </Link>
              )}
              {pathname !== '/sign-up' && (
                <Link to="/sign-up" className={`${buttonClasses('primary', { compact: true })} min-h-11`}>
                  {/* The full label does not fit beside "Sign in" at 360 px. */}
                  <span className="sm:hidden">Sign up</span>
                  <span className="hidden sm:inline">Create account</span>
                </Link>
              )}
            </>
          )}
        </nav>
      </div>
    </header>
  );
}

const MENU_ITEM =
  'flex min-h-11 w-full items-center rounded-md px-3 text-left text-sm font-medium text-slate-700 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-gray-200 dark:hover:bg-gray-800 dark:hover:text-white';

/**
 * The account's pages behind one button (a disclosure, not an ARIA menu: its items are plain links
 * reached with Tab). Escape or a click outside closes it; Escape gives focus back to the button.
 */
function UserMenu({ user }: { user: User }) {
  const signOut = useSignOut();
  const permissions = usePermissions();
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const panelId = useId();
  const pathname = usePathname();

  // Following a link (or any navigation) closes the menu.
  useEffect(() => setOpen(false), [pathname]);

  useEffect(() => {
    if (!open) return;
    panelRef.current?.querySelector<HTMLElement>('a, button')?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      buttonRef.current?.focus();
    };
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!panelRef.current?.contains(target) && !buttonRef.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('pointerdown', onPointerDown);
    return () => {
      document.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('pointerdown', onPointerDown);
    };
  }, [open]);

  // Tabbing past the last item leaves the menu: it closes rather than float over the page.
  const onBlur = (event: FocusEvent<HTMLDivElement>) => {
    const next = event.relatedTarget as Node | null;
    if (next && !event.currentTarget.contains(next)) setOpen(false);
  };

  return (
    <div className="relative" onBlur={onBlur}>
      <button
        ref={buttonRef}
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((value) => !value)}
        className="flex min-h-11 min-w-11 items-center justify-center gap-2 rounded-full p-1.5 text-sm font-medium text-slate-700 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 sm:pr-3 dark:text-gray-200 dark:hover:text-white"
      >
        <Avatar user={user} className="size-8 text-sm" />
        <span className="hidden max-w-48 truncate sm:inline">{user.name ?? user.email}</span>
        <span className="sr-only">Account menu</span>
      </button>
      {open && (
        <div
          ref={panelRef}
          id={panelId}
          className="absolute top-full right-0 z-20 mt-2 w-64 max-w-[calc(100vw-2rem)] rounded-xl bg-white p-2 shadow-lg ring-1 ring-slate-200 dark:bg-gray-900 dark:ring-gray-700"
        >
          <p className="truncate px-3 py-2 text-xs text-slate-500 dark:text-gray-400">{user.email}</p>
          <ul>
            <li>
              <Link to="/account" className={MENU_ITEM}>
                Account
              </Link>
            </li>
            <li>
              <Link to="/settings/preferences" className={MENU_ITEM}>
                Settings
              </Link>
            </li>
            {permissions.has('users:read') && (
              <li>
                <Link to="/admin/users" className={MENU_ITEM}>
                  Administration
                </Link>
              </li>
            )}
            <li className="mt-1 border-t border-slate-100 pt-1 dark:border-gray-700">
              <button type="button" className={MENU_ITEM} disabled={signOut.isPending} onClick={() => signOut.mutate()}>
                {signOut.isPending ? 'Signing out…' : 'Sign out'}
              </button>
            </li>
          </ul>
        </div>
      )}
      {signOut.isError && (
        <p role="alert" className="absolute top-full right-0 mt-2 w-64 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 shadow-sm ring-1 ring-red-200 dark:bg-red-950 dark:text-red-200 dark:ring-red-800">
          Sign-out failed. Check your connection and try again.
        </p>
      )}
    </div>
  );
}

export function Avatar({ user, className }: { user: User; className: string }) {
  const initial = (user.name ?? user.email).trim().charAt(0).toUpperCase();
  return (
    <span aria-hidden="true" className={`inline-flex shrink-0 items-center justify-center rounded-full bg-indigo-100 font-semibold text-indigo-700 dark:bg-indigo-900 dark:text-indigo-100 ${className}`}>
      {initial}
    </span>
  );
}

export function Card({ children, wide = false }: { children: ReactNode; wide?: boolean }) {
  return (
    <section className={`w-full ${wide ? 'max-w-xl' : 'max-w-md'} rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200 sm:p-8 dark:bg-gray-900 dark:ring-gray-700`}>{children}</section>
  );
}

/** The page title; focusable so route changes can move screen-reader focus to it. */
export function PageHeading({ title, subtitle, leading }: { title: string; subtitle?: ReactNode; leading?: ReactNode }) {
  return (
    <div className="mb-6 flex items-center gap-4">
      {leading}
      <div className="min-w-0 space-y-1.5">
        <h1 tabIndex={-1} className="text-2xl font-bold tracking-tight text-slate-900 focus:outline-none dark:text-gray-100">
          {title}
        </h1>
        {subtitle && <p className="text-sm text-slate-600 dark:text-gray-400">{subtitle}</p>}
      </div>
    </div>
  );
}
