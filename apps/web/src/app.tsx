import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ComponentType } from 'react';
import { Layout } from './components/layout.tsx';
import { usePathname } from './lib/router.tsx';
import { AccountPage } from './pages/account.tsx';
import { ContactsPage } from './pages/contacts.tsx';
import { LandingPage } from './pages/landing.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { SignUpPage } from './pages/sign-up.tsx';
import { createApiClient, createQueryClient, trpc } from './trpc.ts';

const PAGES: Record<string, ComponentType> = {
  '/': LandingPage,
  '/sign-up': SignUpPage,
  '/sign-in': SignInPage,
  '/account': AccountPage,
  '/contacts': ContactsPage,
};

export function App() {
  const [queryClient] = useState(createQueryClient);
  const [apiClient] = useState(createApiClient);
  return (
    <trpc.Provider client={apiClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <Routes />
      </QueryClientProvider>
    </trpc.Provider>
  );
}

function Routes() {
  const pathname = usePathname();
  useFocusHeadingOnNavigation(pathname);
  const Page = PAGES[pathname] ?? NotFoundPage;
  return (
    <Layout>
      <Page />
    </Layout>
  );
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
