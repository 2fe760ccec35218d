import { FormAlert } from '../../components/alerts.tsx';
import { Button } from '../../components/button.tsx';
import { LoadingStatus } from '../../components/spinner.tsx';
import { isApiError } from '../../lib/api-error.ts';
import { formatDateTime } from '../../lib/format.ts';
import { trpc } from '../../trpc.ts';
import type { Contact } from '../contacts.tsx';

const FIELD_LABELS: Record<string, string> = { name: 'name', email: 'email', phone: 'phone', company: 'company', tags: 'tags', notes: 'notes' };

type HistoryItem = { id: string; type: 'contact.created' | 'contact.updated' | 'contact.deleted'; occurredAt: string; changed: string[] | null };

function describe(entry: HistoryItem): string {
  if (entry.type === 'contact.created') return 'Created';
  if (entry.type === 'contact.deleted') return 'Deleted';
  const fields = (entry.changed ?? []).map((field) => FIELD_LABELS[field] ?? field);
  return fields.length ? `Changed ${fields.join(', ')}` : 'Changed';
}

/** One contact: its fields as links where they lead somewhere, its timestamps and latest changes. */
export function ContactDetail({ id, onEdit, onTag }: { id: string; onEdit: (contact: Contact) => void; onTag: (tag: string) => void }) {
  const contact = trpc.contacts.get.useQuery({ id }, { retry: (count, error) => !(isApiError(error) && error.data?.code === 'NOT_FOUND') && count < 2 });
  const history = trpc.contacts.history.useQuery({ id, limit: 10 }, { enabled: contact.isSuccess });

  if (contact.isPending) return <LoadingStatus label="Loading contact…" />;
  if (contact.isError) {
    const missing = isApiError(contact.error) && contact.error.data?.code === 'NOT_FOUND';
    return <FormAlert error={{ message: missing ? 'This contact does not exist (it may have been deleted).' : 'We could not load this contact. Try again.' }} />;
  }
  const c = contact.data;
  return (
    <div className="space-y-5">
      <dl className="grid gap-x-4 gap-y-3 text-sm sm:grid-cols-[8rem_1fr]">
        <Row label="Email">
          {c.email ? (
            <a href={`mailto:${c.email}`} className="break-all text-indigo-700 underline hover:text-indigo-900 dark:text-indigo-300 dark:hover:text-indigo-200">
              {c.email}
            </a>
          ) : (
            '—'
          )}
        </Row>
        <Row label="Phone">
          {c.phone ? (
            <a href={`tel:${c.phone.replace(/[^0-9+]/g, '')}`} className="text-indigo-700 underline hover:text-indigo-900 dark:text-indigo-300 dark:hover:text-indigo-200">
              {c.phone}
            </a>
          ) : (
            '—'
          )}
        </Row>
        <Row label="Company">{c.company ?? '—'}</Row>
        <Row label="Tags">
          {c.tags.length ? (
            <ul aria-label="Tags" className="flex flex-wrap gap-1">
              {c.tags.map((tag) => (
                <li key={tag}>
                  <button
                    type="button"
                    onClick={() => onTag(tag)}
                    className="min-h-8 rounded-full bg-indigo-50 px-2.5 py-1 text-xs font-medium text-indigo-700 hover:bg-indigo-100 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:bg-indigo-950 dark:text-indigo-200 dark:hover:bg-indigo-900"
                  >
                    {tag}
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            '—'
          )}
        </Row>
        <Row label="Notes">{c.notes ? <p className="whitespace-pre-wrap break-words">{c.notes}</p> : '—'}</Row>
        <Row label="Created">
          <time dateTime={c.createdAt}>{formatDateTime(c.createdAt)}</time>
        </Row>
        <Row label="Updated">
          <time dateTime={c.updatedAt}>{formatDateTime(c.updatedAt)}</time>
        </Row>
      </dl>

      <section aria-labelledby="contact-history-heading">
        <h3 id="contact-history-heading" className="mb-2 text-sm font-semibold text-slate-900 dark:text-gray-100">
          Recent changes
        </h3>
        {history.isPending ? (
          <LoadingStatus label="Loading changes…" />
        ) : history.isError ? (
          <p className="text-sm text-slate-600 dark:text-gray-400">We could not load the changes.</p>
        ) : history.data.items.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-gray-400">No changes recorded.</p>
        ) : (
          <ol aria-label="Recent changes" className="space-y-1.5 text-sm">
            {history.data.items.map((entry) => (
              <li key={entry.id} className="flex flex-wrap justify-between gap-x-3 text-slate-700 dark:text-gray-300">
                <span>{describe(entry)}</span>
                <time dateTime={entry.occurredAt} className="text-slate-500 dark:text-gray-400">
                  {formatDateTime(entry.occurredAt)}
                </time>
              </li>
            ))}
          </ol>
        )}
      </section>

      <div className="flex justify-end">
        <Button onClick={() => onEdit(c)}>Edit contact</Button>
      </div>
    </div>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt className="font-medium text-slate-500 dark:text-gray-400">{label}</dt>
      <dd className="min-w-0 text-slate-900 dark:text-gray-100">{children}</dd>
    </>
  );
}
