import { Fragment, useState } from 'react';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { trpc } from '../trpc.ts';
import { NotFoundPage } from './not-found.tsx';

const KEY_STORAGE = 'bastion.devMailboxKey';

/**
 * The mailbox key of the link the server prints at start (`/dev/mailbox?key=…`), kept in this
 * browser so later visits (and the app's own links here) need no key, and dropped from the
 * address bar like a one-time token.
 */
function useMailboxKey(): string | undefined {
  const [key] = useState(() => {
    const fromUrl = new URLSearchParams(window.location.search).get('key');
    if (fromUrl) {
      window.localStorage.setItem(KEY_STORAGE, fromUrl);
      window.history.replaceState(window.history.state, '', window.location.pathname);
      return fromUrl;
    }
    return window.localStorage.getItem(KEY_STORAGE) ?? undefined;
  });
  return key;
}

/** Development only: the messages the outbox transport kept instead of sending them. */
export function DevMailboxPage() {
  useDocumentTitle('Development mailbox');
  const key = useMailboxKey();
  const mailbox = trpc.dev.mailbox.useQuery(key ? { key } : undefined, { refetchInterval: 3000 });
  if (mailbox.error?.data?.code === 'NOT_FOUND') return <NotFoundPage />;
  const needsKey = mailbox.error?.data?.reason === 'mailbox_key_required';
  return (
    <Card wide>
      <PageHeading title="Development mailbox" subtitle="Emails the app sent, newest first. Only in development." />
      {mailbox.isPending && <LoadingStatus label="Loading messages…" />}
      {needsKey && <FormAlert error={{ message: 'Open the mailbox with the link the server printed at start (…/dev/mailbox?key=…).' }} />}
      {mailbox.isError && !needsKey && <FormAlert error={{ message: 'The mailbox could not be loaded.' }} />}
      {mailbox.data?.length === 0 && <p className="text-sm text-slate-600 dark:text-gray-400">No messages yet. Sign up to receive one.</p>}
      <ul className="space-y-4" aria-label="Messages">
        {mailbox.data?.map((mail) => (
          <li key={mail.id}>
            <article className="rounded-lg border border-slate-200 p-4 dark:border-gray-700" aria-label={mail.subject}>
              <h2 className="text-sm font-semibold text-slate-900 dark:text-gray-100">{mail.subject}</h2>
              <p className="text-xs text-slate-500 dark:text-gray-400">
                To <span className="break-all">{mail.to}</span> · {formatDateTime(mail.createdAt)}
              </p>
              <p className="mt-3 text-sm break-words whitespace-pre-line text-slate-800 dark:text-gray-100">
                <Linkified text={mail.text} />
              </p>
            </article>
          </li>
        ))}
      </ul>
      {mailbox.data && mailbox.data.length > 0 && (
        <Button className="mt-4" variant="secondary" onClick={() => void mailbox.refetch()} pending={mailbox.isFetching} pendingLabel="Refreshing…">
          Refresh
        </Button>
      )}
    </Card>
  );
}

/** The text part with its URLs as links (the HTML part is not rendered: it would need inline styles). */
function Linkified({ text }: { text: string }) {
  return text.split(/(https?:\/\/[^\s]+)/g).map((part, index) =>
    /^https?:\/\//.test(part) ? (
      <a key={index} href={part} className="font-medium break-all text-indigo-700 underline dark:text-indigo-300">
        {part}
      </a>
    ) : (
      <Fragment key={index}>{part}</Fragment>
    ),
  );
}
