import { useState, type FormEvent } from 'react';
import type { RouterInputs } from '@bastion/api';
import { FormAlert } from '../components/alerts.tsx';
import { Button } from '../components/button.tsx';
import { PageHeading } from '../components/layout.tsx';
import { LoadingStatus } from '../components/spinner.tsx';
import { TextField } from '../components/text-field.tsx';
import { useToast } from '../components/toast.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useDocumentTitle } from '../lib/use-document-title.ts';
import { usePermissions } from '../session.ts';
import { streamingClient, trpc } from '../trpc.ts';
import { AdminNav, StaffOnly } from './admin-users.tsx';

type Filters = RouterInputs['admin']['audit']['export'];

export function AdminAuditPage() {
  useDocumentTitle('Audit log');
  return <StaffOnly permission="audit:read">{() => <AuditLog />}</StaffOnly>;
}

/** `datetime-local` gives local wall time without a zone: the browser's zone is meant. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function AuditLog() {
  const [filters, setFilters] = useState<Filters>({});
  const permissions = usePermissions();
  const log = trpc.admin.audit.list.useInfiniteQuery({ ...filters, limit: 50 }, { getNextPageParam: (page) => page.nextCursor ?? undefined });
  const items = log.data?.pages.flatMap((page) => page.items) ?? [];
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (name: string) => String(data.get(name) ?? '').trim() || undefined;
    const next: Filters = { actorId: text('actorId'), subjectId: text('subjectId'), action: text('action'), from: toIso(text('from') ?? ''), to: toIso(text('to') ?? '') };
    setFilters(Object.fromEntries(Object.entries(next).filter(([, value]) => value !== undefined)) as Filters);
  };
  return (
    <section className="w-full max-w-4xl rounded-2xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:p-8 dark:bg-gray-900 dark:ring-gray-700">
      <AdminNav current="audit" />
      <PageHeading title="Audit log" subtitle="What administrators, users (about their data) and the system did, newest first. Tamper-evident: every entry is chained to the one before." />
      <form onSubmit={apply} className="mb-4 grid gap-3 sm:grid-cols-3" aria-label="Filters">
        <TextField label="Actor id" name="actorId" />
        <TextField label="Subject id" name="subjectId" />
        <TextField label="Action" name="action" placeholder="user.disabled" />
        <TextField label="From" name="from" type="datetime-local" />
        <TextField label="To" name="to" type="datetime-local" />
        <div className="flex items-end gap-2">
          <Button type="submit" variant="secondary">
            Apply filters
          </Button>
          {permissions.has('audit:export') && <ExportButton filters={filters} />}
        </div>
      </form>
      {log.isPending && <LoadingStatus label="Loading entries…" />}
      {log.isError && <FormAlert error={{ message: log.error.data?.reason === 'validation_failed' ? 'A filter is not valid.' : 'The audit log could not be loaded. Reload the page to try again.' }} />}
      {log.isSuccess && items.length === 0 && <p className="text-sm text-slate-600 dark:text-gray-400">No entries match.</p>}
      {items.length > 0 && (
        <ol aria-label="Audit entries" className="divide-y divide-slate-100 border-y border-slate-100 dark:divide-gray-700 dark:border-gray-700">
          {items.map((entry) => (
            <li key={entry.seq} className="space-y-0.5 py-3 text-sm">
              <p className="flex flex-wrap items-baseline justify-between gap-2">
                <span className="font-mono text-xs font-semibold text-slate-900 dark:text-gray-100">{entry.action}</span>
                <time dateTime={entry.at} className="text-xs text-slate-500 dark:text-gray-400">
                  #{entry.seq} · {formatDateTime(entry.at)}
                </time>
              </p>
              <p className="text-xs break-all text-slate-600 dark:text-gray-400">
                by {entry.actorType === 'system' ? `system (${entry.actorId})` : entry.actorId}
                {entry.subjectId ? ` · about ${entry.subjectId}` : ''}
              </p>
              {typeof entry.detail.reason === 'string' && <p className="text-xs text-slate-700 dark:text-gray-300">Reason: {entry.detail.reason}</p>}
            </li>
          ))}
        </ol>
      )}
      {log.hasNextPage && (
        <Button className="mt-4" variant="secondary" pending={log.isFetchingNextPage} pendingLabel="Loading…" onClick={() => void log.fetchNextPage()}>
          Show older entries
        </Button>
      )}
    </section>
  );
}

/** Streams the matching entries (JSON Lines from the server) into a file the browser saves. */
function ExportButton({ filters }: { filters: Filters }) {
  const [pending, setPending] = useState(false);
  const toast = useToast();
  const run = async () => {
    setPending(true);
    try {
      const lines: string[] = [];
      for await (const entry of await streamingClient.admin.audit.export.query(filters)) lines.push(JSON.stringify(entry));
      const url = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'application/x-ndjson' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `audit-log-${new Date().toISOString().slice(0, 10)}.jsonl`;
      link.click();
      URL.revokeObjectURL(url);
      toast(`Exported ${lines.length} ${lines.length === 1 ? 'entry' : 'entries'}.`);
    } catch {
      toast('The export failed. Try again.', 'error');
    } finally {
      setPending(false);
    }
  };
  return (
    <Button variant="secondary" pending={pending} pendingLabel="Exporting…" onClick={() => void run()}>
      Export
    </Button>
  );
}
