import { useState } from 'react';
import { FormAlert } from './alerts.tsx';
import { Spinner } from './spinner.tsx';
import { trpc } from '../trpc.ts';

/** Google's "G", inline: no request to a third party for a logo. */
function GoogleMark() {
  return (
    <svg viewBox="0 0 48 48" aria-hidden="true" className="size-5 shrink-0">
      <path fill="#EA4335" d="M24 9.5c3.5 0 6.6 1.2 9 3.6l6.7-6.7C35.6 2.4 30.2 0 24 0 14.6 0 6.6 5.4 2.6 13.3l7.8 6.1C12.3 13.6 17.7 9.5 24 9.5z" />
      <path fill="#4285F4" d="M46.1 24.5c0-1.6-.1-3.1-.4-4.5H24v8.5h12.4c-.5 2.9-2.2 5.3-4.6 6.9l7.5 5.8c4.4-4 6.8-10 6.8-16.7z" />
      <path fill="#FBBC05" d="M10.4 28.6c-.5-1.4-.8-2.9-.8-4.6s.3-3.2.8-4.6l-7.8-6.1C.9 16.6 0 20.2 0 24s.9 7.4 2.6 10.7l7.8-6.1z" />
      <path fill="#34A853" d="M24 48c6.5 0 11.9-2.1 15.9-5.8l-7.5-5.8c-2.1 1.4-4.8 2.3-8.4 2.3-6.3 0-11.7-4.1-13.6-9.9l-7.8 6.1C6.6 42.6 14.6 48 24 48z" />
    </svg>
  );
}

/**
 * Starts a provider sign-in (or a link, for a signed-in user): the server stores the request and
 * answers with the provider's page, which the browser then opens.
 */
export function useStartProvider() {
  const [leaving, setLeaving] = useState(false);
  const start = trpc.auth.oauth.start.useMutation({
    onSuccess: ({ authorizationUrl }) => {
      setLeaving(true);
      window.location.assign(authorizationUrl);
    },
  });
  return { start, pending: start.isPending || leaving };
}

/** "Continue with Google" (one button per configured provider), with an "or" divider below; nothing when none is configured. */
export function ContinueWithProviders({ redirectTo }: { redirectTo?: string }) {
  const providers = trpc.auth.providers.useQuery(undefined, { staleTime: 5 * 60_000 });
  const { start, pending } = useStartProvider();
  const list = providers.data?.providers ?? [];
  if (list.length === 0) return null;
  return (
    <div className="mb-6 space-y-3">
      {start.isError && <FormAlert error={{ message: start.error.message }} />}
      {list.map((provider) => (
        <button
          key={provider.id}
          type="button"
          disabled={pending}
          onClick={() => start.mutate({ provider: provider.id, intent: 'signin', ...(redirectTo ? { redirectTo } : {}) })}
          className="inline-flex min-h-10 w-full items-center justify-center gap-3 rounded-lg bg-white px-4 py-2 text-sm font-semibold text-slate-800 shadow-sm ring-1 ring-slate-300 ring-inset transition-colors hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:text-slate-400 dark:bg-gray-900 dark:text-gray-100 dark:ring-gray-700 dark:hover:bg-gray-800"
        >
          {pending ? <Spinner /> : <GoogleMark />}
          {pending ? 'Opening Google…' : `Continue with ${provider.name}`}
        </button>
      ))}
      <div className="flex items-center gap-3 text-xs text-slate-500 dark:text-gray-400" role="separator" aria-label="or">
        <span className="h-px flex-1 bg-slate-200 dark:bg-gray-700" />
        or
        <span className="h-px flex-1 bg-slate-200 dark:bg-gray-700" />
      </div>
    </div>
  );
}
