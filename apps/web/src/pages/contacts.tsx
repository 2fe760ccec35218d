import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { RouterOutputs } from '@bastion/api';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { PageHeading } from '../components/layout.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { Redirect } from '../lib/router.tsx';
import { useDebouncedValue } from '../lib/use-debounced-value.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useSession } from '../session.ts';
import { trpc } from '../trpc.ts';
import { Dialog } from '../components/dialog.tsx';
import { ContactForm } from './contacts/contact-form.tsx';
import { ImportDialog } from './contacts/import-dialog.tsx';

export type Contact = RouterOutputs['contacts']['get'];

/** Every page of every contacts list; invalidate it after a change. */
export const CONTACTS_LIST_KEY = ['contacts', 'list'] as const;

const SEARCH_DEBOUNCE_MS = 300;

export function ContactsPage() {
  useDocumentTitle('Contacts');
  const session = useSession();
  if (session.status === 'signed-out') return <Redirect to="/sign-in" />;
  if (session.status !== 'signed-in') return <LoadingStatus label="Loading…" />;
  return <Contacts />;
}

type Editing = { mode: 'create' } | { mode: 'edit'; contact: Contact } | { mode: 'import' } | null;

function Contacts() {
  const [search, setSearch] = useState('');
  const [tag, setTag] = useState('');
  const [editing, setEditing] = useState<Editing>(null);
  const debouncedSearch = useDebouncedValue(search.trim(), SEARCH_DEBOUNCE_MS);
  const debouncedTag = useDebouncedValue(tag.trim().toLowerCase(), SEARCH_DEBOUNCE_MS);
  const utils = trpc.useUtils();
  const input = { limit: 20, search: debouncedSearch || undefined, tag: debouncedTag || undefined, sort: 'name' as const };
  // TanStack's own infinite query: tRPC's adds a `direction` field that contacts.list uses for sorting.
  const list = useInfiniteQuery({
    queryKey: [...CONTACTS_LIST_KEY, input],
    queryFn: ({ pageParam, signal }) => utils.client.contacts.list.query({ ...input, cursor: pageParam }, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const contacts = list.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = Boolean(debouncedSearch || debouncedTag);

  return (
    <section className="w-full max-w-3xl self-start">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <PageHeading title="Contacts" subtitle="Everyone you keep in touch with." />
        <div className="flex gap-2">
          <Button variant="secondary" compact onClick={() => setEditing({ mode: 'import' })}>
            Import CSV
          </Button>
          <Button compact onClick={() => setEditing({ mode: 'create' })}>
            New contact
          </Button>
        </div>
      </div>

      <div role="search" className="mb-4 grid gap-3 sm:grid-cols-3">
        <FilterField label="Search" value={search} onChange={setSearch} maxLength={100} placeholder="Name, email or company" className="sm:col-span-2" />
        <FilterField label="Tag" value={tag} onChange={setTag} maxLength={40} placeholder="e.g. customer" />
      </div>

      <div className="rounded-2xl bg-white shadow-sm ring-1 ring-slate-200">
        {list.isPending ? (
          <div className="p-6">
            <LoadingStatus label="Loading contacts…" />
          </div>
        ) : list.isError && contacts.length === 0 ? (
          <div className="space-y-3 p-6">
            <FormAlert error={{ message: 'We could not load your contacts. Check your connection, then try again.' }} />
            <Button variant="secondary" onClick={() => void list.refetch()}>
              Try again
            </Button>
          </div>
        ) : contacts.length === 0 ? (
          <EmptyState filtered={filtered} onCreate={() => setEditing({ mode: 'create' })} />
        ) : (
          <ul aria-label="Contacts" aria-busy={list.isFetching} className="divide-y divide-slate-100">
            {contacts.map((contact) => (
              <ContactRow key={contact.id} contact={contact} onEdit={() => setEditing({ mode: 'edit', contact })} onTag={setTag} />
            ))}
          </ul>
        )}
        {list.hasNextPage && (
          <LoadMore loading={list.isFetchingNextPage} onLoad={() => void (list.isFetchingNextPage || list.fetchNextPage())} />
        )}
      </div>
      <p role="status" className="sr-only">
        {list.isSuccess ? `${contacts.length}${list.hasNextPage ? '+' : ''} contacts shown` : ''}
      </p>

      <Dialog title={editing?.mode === 'edit' ? 'Edit contact' : 'New contact'} open={editing?.mode === 'create' || editing?.mode === 'edit'} onClose={() => setEditing(null)}>
        {(editing?.mode === 'create' || editing?.mode === 'edit') && (
          <ContactForm contact={editing.mode === 'edit' ? editing.contact : undefined} onDone={() => setEditing(null)} />
        )}
      </Dialog>
      <Dialog title="Import contacts from CSV" open={editing?.mode === 'import'} onClose={() => setEditing(null)}>
        {editing?.mode === 'import' && <ImportDialog />}
      </Dialog>
    </section>
  );
}

function ContactRow({ contact, onEdit, onTag }: { contact: Contact; onEdit: () => void; onTag: (tag: string) => void }) {
  return (
    <li className="flex items-start justify-between gap-3 px-4 py-3 sm:px-6">
      <div className="min-w-0">
        <p className="truncate font-medium text-slate-900">{contact.name}</p>
        <p className="truncate text-sm text-slate-600">{[contact.email, contact.company, contact.phone].filter(Boolean).join(' · ') || '—'}</p>
        {contact.tags.length > 0 && (
          <ul aria-label="Tags" className="mt-1 flex flex-wrap gap-1">
            {contact.tags.map((tag) => (
              <li key={tag}>
                <button
                  type="button"
                  onClick={() => onTag(tag)}
                  className="rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700 hover:bg-indigo-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
                >
                  {tag}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <Button variant="secondary" compact onClick={onEdit} aria-label={`Edit ${contact.name}`}>
        Edit
      </Button>
    </li>
  );
}

function EmptyState({ filtered, onCreate }: { filtered: boolean; onCreate: () => void }) {
  return (
    <div className="p-10 text-center">
      <p className="font-medium text-slate-900">{filtered ? 'No contacts match' : 'No contacts yet'}</p>
      <p className="mt-1 text-sm text-slate-600">{filtered ? 'Try another search or tag.' : 'Add your first contact, or import a CSV file.'}</p>
      {!filtered && (
        <Button className="mt-4" onClick={onCreate}>
          New contact
        </Button>
      )}
    </div>
  );
}

/** Loads the next page when scrolled into view; the button serves keyboards and old browsers. */
function LoadMore({ loading, onLoad }: { loading: boolean; onLoad: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const load = useRef(onLoad);
  load.current = onLoad;
  useEffect(() => {
    const element = ref.current;
    if (!element || !('IntersectionObserver' in window)) return;
    const observer = new IntersectionObserver((entries) => entries.some((entry) => entry.isIntersecting) && load.current(), { rootMargin: '200px' });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return (
    <div ref={ref} className="border-t border-slate-100 p-4 text-center">
      <Button variant="secondary" pending={loading} pendingLabel="Loading…" onClick={onLoad}>
        Load more
      </Button>
    </div>
  );
}

/** A labelled search box of the filter bar; filtering happens as the user types. */
function FilterField(props: { label: string; value: string; onChange: (value: string) => void; maxLength: number; placeholder: string; className?: string }) {
  return (
    <label className={props.className}>
      <span className="mb-1 block text-sm font-medium text-slate-800">{props.label}</span>
      <input
        type="search"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        maxLength={props.maxLength}
        placeholder={props.placeholder}
        className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:text-sm"
      />
    </label>
  );
}
