import { QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, useSyncExternalStore, type ComponentType } from 'react';
import { PreferencesSync } from './components/preferences-sync.tsx';
import { displayPreferences, subscribeDisplayPreferences } from './lib/preferences.ts';
import { PreferencesPage } from './pages/preferences.tsx';
import { ConfirmEmailChangePage, UndoEmailChangePage } from './pages/email-change-links.tsx';
import type { AppPath } from './paths.ts';
import { Layout } from './components/layout.tsx';
import { ToastProvider } from './components/toast.tsx';
import { AdminAuditPage } from './pages/admin-audit.tsx';
import { AdminUsersPage } from './pages/admin-users.tsx';
import { PrivacyPage } from './pages/privacy.tsx';
import { navigate, usePathname } from './lib/router.tsx';
import { onSessionEnded, signInUrl } from './lib/session-end.ts';
import { AccountPage } from './pages/account.tsx';
import { ApiKeysPage } from './pages/api-keys.tsx';
import { AssistantPage } from './pages/assistant.tsx';
import { ChangePasswordPage } from './pages/change-password.tsx';
import { ConnectedAccountsPage } from './pages/connected-accounts.tsx';
import { DevMailboxPage } from './pages/dev-mailbox.tsx';
import { ForgotPasswordPage } from './pages/forgot-password.tsx';
import { ResetPasswordPage } from './pages/reset-password.tsx';
import { SecurityLogPage } from './pages/security-log.tsx';
import { SessionsPage } from './pages/sessions.tsx';
import { TwoFactorPage } from './pages/two-factor.tsx';
import { VerifyEmailPage } from './pages/verify-email.tsx';
import { ContactsPage } from './pages/contacts.tsx';
import { LandingPage } from './pages/landing.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { SignUpPage } from './pages/sign-up.tsx';
import { WebhooksPage } from './pages/webhooks.tsx';
import { createApiClient, createQueryClient, trpc } from './trpc.ts';

const PAGES: Record<AppPath, ComponentType> = {
  '/': LandingPage,
  '/sign-up': SignUpPage,
  '/sign-in': SignInPage,
  '/account': AccountPage,
  '/assistant': AssistantPage,
  '/account/password': ChangePasswordPage,
  '/account/sessions': SessionsPage,
  '/account/two-factor': TwoFactorPage,
  '/account/security-log': SecurityLogPage,
  '/account/api-keys': ApiKeysPage,
  '/account/connected-accounts': ConnectedAccountsPage,
  '/verify-email': VerifyEmailPage,
  '/forgot-password': ForgotPasswordPage,
  '/reset-password': ResetPasswordPage,
  '/dev/mailbox': DevMailboxPage,
  '/contacts': ContactsPage,
  '/account/privacy': PrivacyPage,
  '/admin/users': AdminUsersPage,
  '/admin/audit': AdminAuditPage,
  '/webhooks': WebhooksPage,
  '/settings/preferences': PreferencesPage,
  '/confirm-email-change': ConfirmEmailChangePage,
  '/undo-email-change': UndoEmailChangePage,
};

export function App() {
  const [queryClient] = useState(createQueryClient);
  const [apiClient] = useState(createApiClient);
  // A new time zone or language re-renders every page, so each date is formatted again.
  useSyncExternalStore(subscribeDisplayPreferences, displayPreferences);
  return (
    <trpc.Provider client={apiClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <ToastProvider>
          <SessionEndWatcher />
          <PreferencesSync />
          <Routes />
        </ToastProvider>
      </QueryClientProvider>
    </trpc.Provider>
  );
}

function Routes() {
  const pathname = usePathname();
  useFocusHeadingOnNavigation(pathname);
  const Page = (PAGES as Record<string, ComponentType | undefined>)[pathname] ?? NotFoundPage;
  return (
    <Layout>
      <Page />
    </Layout>
  );
}

/** Pages anyone may see: a session ending while one is open changes nothing there but the header. */
const PUBLIC_PAGES = new Set(['/', '/sign-in', '/sign-up', '/forgot-password', '/reset-password', '/verify-email', '/dev/mailbox', '/confirm-email-change', '/undo-email-change']);

/** When the session ends (here or in another tab), forgets everything cached and asks to sign in again. */
function SessionEndWatcher() {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onSessionEnded(() => {
        // Navigate first: a page seeing the emptied cache would redirect without the reason.
        if (!PUBLIC_PAGES.has(window.location.pathname)) navigate(signInUrl(window.location, 'signed_out'), { replace: true });
        queryClient.clear();
      }),
    [queryClient],
  );
  return null;
}

/** A client-side page change is silent for screen readers unless focus moves to the new page. */
function useFocusHeadingOnNavigation(pathname: string) {
  const previous = useRef(pathname);
  useEffect(() => {
    if (previous.current === pathname) return;
    previous.current = pathname;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [pathname]);
}
