import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type ChangeEvent } from 'react';
import type { RouterOutputs } from '@bastion/api';
import { FormAlert } from '../../components/alerts.tsx';
import { Button } from '../../components/button.tsx';
import { LoadingStatus } from '../../components/spinner.tsx';
import { useToast } from '../../components/toast.tsx';
import { toSubmitErrors, type FormError } from '../../lib/api-error.ts';
import { contactsFromCsv, type CsvContact } from '../../lib/csv.ts';
import { trpc } from '../../trpc.ts';
import { CONTACTS_LIST_KEY } from '../contacts.tsx';

const MAX_ROWS = 1000;
const PREVIEW_ROWS = 5;
type Preview = RouterOutputs['contacts']['previewImport'];
type RowResult = Preview['results'][number] | RouterOutputs['contacts']['importMany']['results'][number];

export interface ImportedBatch {
  importId: string;
  created: number;
  /** When the import finished (ms since epoch): it can be undone for 10 minutes. */
  at: number;
}

/**
 * Reads a CSV file in the browser, shows what importing it would do (nothing is written), and
 * imports it on Confirm; the report lists every row that was not imported.
 */
export function ImportDialog({ onImported }: { onImported: (batch: ImportedBatch) => void }) {
  const inputId = useId();
  const [rows, setRows] = useState<CsvContact[]>([]);
  const [problem, setProblem] = useState<FormError | null>(null);
  const queryClient = useQueryClient();
  const toast = useToast();
  const onError = (error: unknown) => setProblem(toSubmitErrors(error, []).form);
  const preview = trpc.contacts.previewImport.useMutation({ onError });
  const importMany = trpc.contacts.importMany.useMutation({
    onSuccess: (report) => {
      void queryClient.invalidateQueries({ queryKey: CONTACTS_LIST_KEY });
      toast(`${report.created} ${report.created === 1 ? 'contact' : 'contacts'} imported.`);
      if (report.importId) onImported({ importId: report.importId, created: report.created, at: Date.now() });
    },
    onError,
  });

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    setProblem(null);
    preview.reset();
    importMany.reset();
    setRows([]);
    if (!file) return;
    const { contacts } = contactsFromCsv(await file.text());
    if (contacts.length === 0) return setProblem({ message: 'The file has no contacts. The first row must name the columns, e.g. name,email,phone,company,tags,notes.' });
    if (contacts.length > MAX_ROWS) return setProblem({ message: `The file has ${contacts.length} contacts; import at most ${MAX_ROWS} at a time.` });
    setRows(contacts);
    preview.mutate({ contacts });
  };

  const busy = preview.isPending || importMany.isPending;
  return (
    <div className="space-y-4">
      <div className="space-y-1.5">
        <label htmlFor={inputId} className="block text-sm font-medium text-slate-800 dark:text-gray-200">
          CSV file
        </label>
        <input
          id={inputId}
          type="file"
          accept=".csv,text/csv"
          onChange={(event) => void onFile(event)}
          disabled={busy}
          className="block w-full text-sm text-slate-700 file:mr-3 file:min-h-10 file:rounded-lg file:border-0 file:bg-indigo-50 file:px-3 file:py-2 file:font-semibold file:text-indigo-700 hover:file:bg-indigo-100 dark:text-gray-300 dark:file:bg-indigo-950 dark:file:text-indigo-200"
        />
        <p className="text-sm text-slate-500 dark:text-gray-400">
          Columns: name, email, phone, company, tags (separated by commas, in quotes), notes. Up to {MAX_ROWS} rows.{' '}
          <a href="/contacts-template.csv" download="contacts-template.csv" className="font-medium text-indigo-700 underline hover:text-indigo-900 dark:text-indigo-300">
            Download a template
          </a>
        </p>
      </div>
      {problem && <FormAlert error={problem} />}
      {preview.isPending && <LoadingStatus label={`Checking ${rows.length} contacts…`} />}
      {importMany.isPending && <LoadingStatus label={`Importing ${rows.length} contacts…`} />}
      {preview.data && !importMany.data && (
        <div className="space-y-3">
          <p role="status" className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-800 dark:border-gray-700 dark:bg-gray-800 dark:text-gray-100">
            Ready to import: {preview.data.new} new, {preview.data.duplicates} duplicates (skipped), {preview.data.invalid} invalid (skipped).
          </p>
          <FirstRows rows={rows} results={preview.data.results} />
          <ProblemTable rows={rows} results={preview.data.results} caption="Rows that will not be imported" />
          <div className="flex flex-wrap justify-end gap-2">
            <Button variant="secondary" onClick={() => (preview.reset(), setRows([]))} disabled={busy}>
              Choose another file
            </Button>
            <Button onClick={() => importMany.mutate({ contacts: rows })} pending={importMany.isPending} pendingLabel="Importing…" disabled={preview.data.new === 0}>
              Confirm import
            </Button>
          </div>
        </div>
      )}
      {importMany.data && (
        <div className="space-y-3">
          <p role="status" className="rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-800 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100">
            {importMany.data.created} imported, {importMany.data.duplicates} duplicates skipped, {importMany.data.invalid} invalid.
          </p>
          <ProblemTable rows={rows} results={importMany.data.results} caption="Rows not imported" />
          {importMany.data.importId && <p className="text-sm text-slate-600 dark:text-gray-400">You can undo this import from the contacts list for 10 minutes.</p>}
        </div>
      )}
    </div>
  );
}

const cell = 'px-3 py-2';

function FirstRows({ rows, results }: { rows: CsvContact[]; results: RowResult[] }) {
  const first = rows.slice(0, PREVIEW_ROWS);
  return (
    <div className="overflow-x-auto rounded-lg ring-1 ring-slate-200 dark:ring-gray-700">
      <table className="w-full text-left text-sm text-slate-800 dark:text-gray-200">
        <caption className="sr-only">First rows of the file</caption>
        <thead className="bg-slate-50 text-xs text-slate-600 uppercase dark:bg-gray-800 dark:text-gray-400">
          <tr>
            <th scope="col" className={cell}>Row</th>
            <th scope="col" className={cell}>Name</th>
            <th scope="col" className={cell}>Email</th>
            <th scope="col" className={cell}>Tags</th>
            <th scope="col" className={cell}>Result</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-gray-700">
          {first.map((row, index) => (
            <tr key={index}>
              <td className={`${cell} tabular-nums`}>{index + 2}</td>
              <td className={`${cell} max-w-28 truncate`}>{row.name ?? '—'}</td>
              <td className={`${cell} max-w-36 truncate`}>{row.email ?? '—'}</td>
              <td className={`${cell} max-w-28 truncate`}>{row.tags?.join(', ') ?? '—'}</td>
              <td className={cell}>{results[index]?.status ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > PREVIEW_ROWS && <p className="px-3 py-2 text-xs text-slate-500 dark:text-gray-400">…and {rows.length - PREVIEW_ROWS} more rows.</p>}
    </div>
  );
}

function problemOf(result: RowResult): string {
  if (result.status === 'duplicate') return result.duplicateOf === undefined ? 'Already in your contacts (same email).' : `Same email as row ${result.duplicateOf + 2}.`;
  if (result.status === 'invalid') {
    return Object.entries(result.fieldErrors)
      .map(([field, messages]) => (field === '_' ? messages.join(' ') : `${field}: ${messages.join(' ')}`))
      .join('; ');
  }
  return '';
}

function ProblemTable({ rows, results, caption }: { rows: CsvContact[]; results: RowResult[]; caption: string }) {
  const problems = results.filter((result) => result.status === 'duplicate' || result.status === 'invalid');
  if (problems.length === 0) return null;
  return (
    <div className="max-h-64 overflow-y-auto rounded-lg ring-1 ring-slate-200 dark:ring-gray-700">
      <table className="w-full text-left text-sm text-slate-800 dark:text-gray-200">
        <caption className="sr-only">{caption}</caption>
        <thead className="sticky top-0 bg-slate-50 text-xs text-slate-600 uppercase dark:bg-gray-800 dark:text-gray-400">
          <tr>
            <th scope="col" className={cell}>Row</th>
            <th scope="col" className={cell}>Contact</th>
            <th scope="col" className={cell}>Problem</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-gray-700">
          {problems.map((result) => (
            <tr key={result.index}>
              {/* Row numbers as in a spreadsheet: the header is row 1. */}
              <td className={`${cell} tabular-nums`}>{result.index + 2}</td>
              <td className={`${cell} max-w-32 truncate`}>{rows[result.index]?.name ?? rows[result.index]?.email ?? '—'}</td>
              <td className={`${cell} text-slate-700 dark:text-gray-300`}>{problemOf(result)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
