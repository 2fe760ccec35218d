import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { RouterOutputs } from '@bastion/api';
import { FormAlert } from '../components/alerts.tsx';
import { Button, buttonClasses } from '../components/button.tsx';
import { Dialog } from '../components/dialog.tsx';
import { PageHeading } from '../components/layout.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { navigate, Redirect, useSearchParams } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { useSession } from '../session.ts';
import { trpc } from '../trpc.ts';
import { BulkBar } from './contacts/bulk-bar.tsx';
import { ContactDetail } from './contacts/contact-detail.tsx';
import { ContactForm } from './contacts/contact-form.tsx';
import { ImportDialog, type ImportedBatch } from './contacts/import-dialog.tsx';
import { UndoImportBanner, useLastImport } from './contacts/undo-import.tsx';
import { exportHref, paramsFromView, SORT_OPTIONS, sortInput, viewFromParams, type ContactsView, type SortValue } from './contacts/url-state.ts';

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

/** The filters and order live in the URL: shareable, and the back button restores them. */
function useContactsView() {
  const view = viewFromParams(useSearchParams());
  const setView = (patch: Partial<ContactsView>, { replace = false } = {}) => navigate(`/contacts${paramsFromView({ ...view, ...patch })}`, { replace });
  return [view, setView] as const;
}

/** A text box whose value becomes a URL parameter after a pause in typing; back and forward refill the box. */
function useUrlText(value: string, commit: (text: string) => void) {
  const [text, setText] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const latestCommit = useRef(commit);
  latestCommit.current = commit;
  useEffect(() => {
    // The URL changed (back, forward, a tag chip, "Clear filters"): it wins over pending typing.
    clearTimeout(timer.current);
    setText((current) => (current.trim() === value ? current : value));
  }, [value]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const change = (next: string) => {
    setText(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      if (next.trim() !== value) latestCommit.current(next.trim());
    }, SEARCH_DEBOUNCE_MS);
  };
  return [text, change] as const;
}

function Contacts() {
  const [view, setView] = useContactsView();
  const [search, setSearch] = useUrlText(view.search, (q) => setView({ search: q }, { replace: true }));
  const [tag, setTag] = useUrlText(view.tag, (t) => setView({ tag: t }, { replace: true }));
  const [editing, setEditing] = useState<Editing>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [lastImport, rememberImport, forgetImport] = useLastImport();
  const utils = trpc.useUtils();
  const input = { limit: 20, search: view.search || undefined, tag: view.tag.toLowerCase() || undefined, ...sortInput(view.sort) };
  // TanStack's own infinite query: tRPC's adds a `direction` field that contacts.list uses for sorting.
  const list = useInfiniteQuery({
    queryKey: [...CONTACTS_LIST_KEY, input],
    queryFn: ({ pageParam, signal }) => utils.client.contacts.list.query({ ...input, cursor: pageParam, includeTotal: true }, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const contacts = list.data?.pages.flatMap((page) => page.items) ?? [];
  const total = list.data?.pages[0]?.total ?? null;
  const filtered = Boolean(view.search || view.tag);
  const filterKey = JSON.stringify(input);
  // A selection belongs to the list it was made in.
  useEffect(() => setSelected(new Set()), [filterKey]);

  // The boxes follow the URL.
  const showTag = (value: string) => setView({ tag: value, contact: null });
  const clearFilters = () => setView({ search: '', tag: '' });
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allShownSelected = contacts.length > 0 && contacts.every((contact) => selected.has(contact.id));
  const onImported = (batch: ImportedBatch) => rememberImport(batch);

  return (
    <section className="w-full max-w-3xl self-start">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <PageHeading title="Contacts" subtitle={total === null ? 'Everyone you keep in touch with.' : `${total} ${total === 1 ? 'contact' : 'contacts'}${filtered ? ' match' : ''}`} />
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" compact onClick={() => setEditing({ mode: 'import' })}>
            Import CSV
          </Button>
          <a href={exportHref(view)} download="contacts.csv" className={`${buttonClasses('secondary', { compact: true })} dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-600`}>
            Export CSV
          </a>
          <Button compact onClick={() => setEditing({ mode: 'create' })}>
            New contact
          </Button>
        </div>
      </div>

      {lastImport && <UndoImportBanner batch={lastImport} onDone={forgetImport} />}

      <div role="search" className="mb-4 grid gap-3 sm:grid-cols-4">
        <FilterField label="Search" value={search} onChange={setSearch} maxLength={100} placeholder="Name, email, company or phone" className="sm:col-span-2" />
        <FilterField label="Tag" value={tag} onChange={setTag} maxLength={40} placeholder="e.g. customer" />
        <label>
          <span className="mb-1 block text-sm font-medium text-slate-800 dark:text-gray-200">Sort by</span>
          <select
            value={view.sort}
            onChange={(event) => setView({ sort: event.target.value as SortValue })}
            className="block min-h-10 w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:text-sm dark:border-gray-700 dark:bg-gray-800 dark:text-gray-100"
          >
            {SORT_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      </div>

      {selected.size > 0 && <BulkBar ids={[...selected]} onDone={() => setSelected(new Set())} />}

      <div className="rounded-2xl bg-white shadow-sm ring-1 ring-slate-200 dark:bg-gray-900 dark:ring-gray-700">
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
          <EmptyState filtered={filtered} onCreate={() => setEditing({ mode: 'create' })} onClear={clearFilters} />
        ) : (
          <>
            <div className="flex items-center gap-3 border-b border-slate-100 px-4 py-1 sm:px-6 dark:border-gray-800">
              <label className="-ml-2 flex min-h-11 cursor-pointer items-center gap-3 px-2 text-sm text-slate-600 dark:text-gray-400">
                <input
                  type="checkbox"
                  checked={allShownSelected}
                  onChange={() => setSelected(allShownSelected ? new Set() : new Set(contacts.map((contact) => contact.id)))}
                  className="size-4 accent-indigo-600"
                />
                Select all shown
              </label>
            </div>
            <ul aria-label="Contacts" aria-busy={list.isFetching} className="divide-y divide-slate-100 dark:divide-gray-800">
              {contacts.map((contact) => (
                <ContactRow
                  key={contact.id}
                  contact={contact}
                  selected={selected.has(contact.id)}
                  onSelect={() => toggle(contact.id)}
                  onOpen={() => setView({ contact: contact.id })}
                  onEdit={() => setEditing({ mode: 'edit', contact })}
                  onTag={showTag}
                />
              ))}
            </ul>
          </>
        )}
        {list.hasNextPage && <LoadMore loading={list.isFetchingNextPage} onLoad={() => void (list.isFetchingNextPage || list.fetchNextPage())} />}
      </div>
      <p role="status" className="sr-only">
        {list.isSuccess ? `${contacts.length} of ${total ?? contacts.length} contacts shown` : ''}
      </p>

      <Dialog title={editing?.mode === 'edit' ? 'Edit contact' : 'New contact'} open={editing?.mode === 'create' || editing?.mode === 'edit'} onClose={() => setEditing(null)}>
        {(editing?.mode === 'create' || editing?.mode === 'edit') && (
          <ContactForm contact={editing.mode === 'edit' ? editing.contact : undefined} onDone={() => setEditing(null)} />
        )}
      </Dialog>
      <Dialog title="Import contacts from CSV" open={editing?.mode === 'import'} onClose={() => setEditing(null)}>
        {editing?.mode === 'import' && <ImportDialog onImported={onImported} />}
      </Dialog>
      <Dialog title={contacts.find((contact) => contact.id === view.contact)?.name ?? 'Contact'} open={view.contact !== null && editing === null} onClose={() => setView({ contact: null }, { replace: true })}>
        {view.contact !== null && (
          <ContactDetail
            id={view.contact}
            onTag={showTag}
            onEdit={(contact) => {
              setView({ contact: null }, { replace: true });
              setEditing({ mode: 'edit', contact });
            }}
          />
        )}
      </Dialog>
    </section>
  );
}

interface RowProps {
  contact: Contact;
  selected: boolean;
  onSelect: () => void;
  onOpen: () => void;
  onEdit: () => void;
  onTag: (tag: string) => void;
}

function ContactRow({ contact, selected, onSelect, onOpen, onEdit, onTag }: RowProps) {
  return (
    <li className={`flex items-start gap-2 px-2 py-2 sm:px-4 ${selected ? 'bg-indigo-50/60 dark:bg-indigo-950/40' : ''}`}>
      <label className="flex size-11 shrink-0 cursor-pointer items-center justify-center">
        <input type="checkbox" checked={selected} onChange={onSelect} aria-label={`Select ${contact.name}`} className="size-4 accent-indigo-600" />
      </label>
      <div className="min-w-0 flex-1 py-1">
        <button
          type="button"
          onClick={onOpen}
          className="max-w-full truncate rounded text-left font-medium text-slate-900 hover:text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-gray-100 dark:hover:text-indigo-300"
        >
          {contact.name}
        </button>
        <p className="truncate text-sm text-slate-600 dark:text-gray-400">{[contact.email, contact.company, contact.phone].filter(Boolean).join(' · ') || '—'}</p>
        {contact.tags.length > 0 && (
          <ul aria-label="Tags" className="mt-1 flex flex-wrap gap-1">
            {contact.tags.map((tag) => (
              <li key={tag}>
                <button
                  type="button"
                  onClick={() => onTag(tag)}
                  className="rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700 hover:bg-indigo-100 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:bg-indigo-950 dark:text-indigo-200 dark:hover:bg-indigo-900"
                >
                  {tag}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <Button variant="secondary" compact onClick={onEdit} aria-label={`Edit ${contact.name}`} className="mt-0.5 dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-600">
        Edit
      </Button>
    </li>
  );
}

function EmptyState({ filtered, onCreate, onClear }: { filtered: boolean; onCreate: () => void; onClear: () => void }) {
  return (
    <div className="p-10 text-center">
      <p className="font-medium text-slate-900 dark:text-gray-100">{filtered ? 'No contacts match' : 'No contacts yet'}</p>
      <p className="mt-1 text-sm text-slate-600 dark:text-gray-400">{filtered ? 'Try another search or tag.' : 'Add your first contact, or import a CSV file.'}</p>
      {filtered ? (
        <Button variant="secondary" className="mt-4 dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-600" onClick={onClear}>
          Clear filters
        </Button>
      ) : (
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
    <div ref={ref} className="border-t border-slate-100 p-4 text-center dark:border-gray-800">
      <Button variant="secondary" pending={loading} pendingLabel="Loading…" onClick={onLoad} className="dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-600">
        Load more
      </Button>
    </div>
  );
}

/** A labelled search box of the filter bar; filtering happens as the user types. */
function FilterField(props: { label: string; value: string; onChange: (value: string) => void; maxLength: number; placeholder: string; className?: string }) {
  return (
    <label className={props.className}>
      <span className="mb-1 block text-sm font-medium text-slate-800 dark:text-gray-200">{props.label}</span>
      <input
        type="search"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        maxLength={props.maxLength}
        placeholder={props.placeholder}
        className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:text-sm dark:border-gray-700 dark:bg-gray-800 dark:text-gray-100 dark:placeholder:text-gray-500"
      />
    </label>
  );
}

