import type { ReactNode } from 'react';
import { Link, usePathname } from '../lib/router.tsx';
import { usePermissions, useSession, useSignOut, type User } from '../session.ts';
import { DeletionBanner } from './deletion-banner.tsx';
import { Button, buttonClasses } from './button.tsx';

export function Layout({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col bg-slate-50 text-slate-900">
      <a
        href="#main"
        className="sr-only rounded-md bg-white px-3 py-2 text-sm font-medium shadow focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10 focus:outline-2 focus:outline-indigo-600"
      >
        Skip to content
      </a>
      <Header />
      <SignedInBanner />
      <main id="main" className="flex flex-1 items-start justify-center px-4 py-10 sm:items-center sm:py-16">
        {children}
      </main>
      <footer className="px-4 py-6 text-center text-xs text-slate-500">Bastion keeps your session in secure, http-only cookies.</footer>
    </div>
  );
}

function SignedInBanner() {
  const session = useSession();
  return session.status === 'signed-in' ? <DeletionBanner user={session.user} /> : null;
}

function Header() {
  const session = useSession();
  // A link to the page you are on is noise, and dropping it keeps the header on one line at 360 px.
  const pathname = usePathname();
  return (
    <header className="relative border-b border-slate-200 bg-white">
      <div className="mx-auto flex h-16 max-w-5xl items-center justify-between gap-3 px-4">
        <Link to="/" className="flex shrink-0 items-center gap-2 rounded-md text-lg font-bold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-indigo-600">
          <img src="/favicon.svg" alt="" className="size-7" />
          {/* The narrowest phones need the room for the signed-in links; the logo keeps the name for screen readers. */}
          <span className="max-[400px]:sr-only">Bastion</span>
        </Link>
        <nav aria-label="Account" className="flex min-w-0 items-center gap-1 sm:gap-2">
          {session.status === 'signed-in' && (
            <>
              {pathname !== '/assistant' && (
                <Link to="/assistant" className="rounded-md px-2 py-2 text-sm font-semibold whitespace-nowrap text-slate-700 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 sm:px-3">
                  Assistant
                </Link>
              )}
              <UserMenu user={session.user} />
            </>
          )}
          {session.status === 'signed-out' && (
            <>
              {pathname !== '/sign-in' && (
                <Link to="/sign-in" className="rounded-md px-2 py-2 text-sm font-semibold whitespace-nowrap text-slate-700 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 sm:px-3">
                  Sign in
                </Link>
              )}
              {pathname !== '/sign-up' && (
                <Link to="/sign-up" className={buttonClasses('primary', { compact: true })}>
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

function UserMenu({ user }: { user: User }) {
  const signOut = useSignOut();
  const permissions = usePermissions();
  const pathname = usePathname();
  return (
    <>
      {permissions.has('users:read') && !pathname.startsWith('/admin') && (
        // No room at 360 px: there the account page links to the console.
        <Link to="/admin/users" className="hidden rounded-md px-2 py-2 text-sm font-semibold whitespace-nowrap text-slate-700 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 sm:inline sm:px-3">
          Admin
        </Link>
      )}
      <Link
        to="/contacts"
        className="rounded-md px-2 py-2 text-sm font-semibold whitespace-nowrap text-slate-700 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 sm:px-3"
      >
        Contacts
      </Link>
      <Link
        to="/account"
        className="flex min-w-0 items-center gap-2 rounded-full p-1 text-sm font-medium text-slate-700 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 sm:pr-3"
      >
        <Avatar user={user} className="size-8 text-sm" />
        <span className="hidden max-w-48 truncate sm:inline">{user.name ?? user.email}</span>
        <span className="sr-only sm:hidden">Account</span>
      </Link>
      {signOut.isError && (
        <p role="alert" className="absolute top-full right-4 mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 shadow-sm ring-1 ring-red-200">
          Sign-out failed. Check your connection and try again.
        </p>
      )}
      <Button variant="secondary" compact pending={signOut.isPending} pendingLabel="Signing out…" onClick={() => signOut.mutate()}>
        Sign out
      </Button>
    </>
  );
}

export function Avatar({ user, className }: { user: User; className: string }) {
  const initial = (user.name ?? user.email).trim().charAt(0).toUpperCase();
  return (
    <span aria-hidden="true" className={`inline-flex shrink-0 items-center justify-center rounded-full bg-indigo-100 font-semibold text-indigo-700 ${className}`}>
      {initial}
    </span>
  );
}

export function Card({ children, wide = false }: { children: ReactNode; wide?: boolean }) {
  return (
    <section className={`w-full ${wide ? 'max-w-xl' : 'max-w-md'} rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200 sm:p-8`}>{children}</section>
  );
}

/** The page title; focusable so route changes can move screen-reader focus to it. */
export function PageHeading({ title, subtitle, leading }: { title: string; subtitle?: ReactNode; leading?: ReactNode }) {
  return (
    <div className="mb-6 flex items-center gap-4">
      {leading}
      <div className="min-w-0 space-y-1.5">
        <h1 tabIndex={-1} className="text-2xl font-bold tracking-tight text-slate-900 focus:outline-none">
          {title}
        </h1>
        {subtitle && <p className="text-sm text-slate-600">{subtitle}</p>}
      </div>
    </div>
  );
}
