import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type ChangeEvent } from 'react';
import type { RouterOutputs } from '@bastion/api';
import { FormAlert } from '../../components/alerts.tsx';
import { LoadingStatus } from '../../components/spinner.tsx';
import { toSubmitErrors, type FormError } from '../../lib/api-error.ts';
import { contactsFromCsv, type CsvContact } from '../../lib/csv.ts';
import { trpc } from '../../trpc.ts';
import { CONTACTS_LIST_KEY } from '../contacts.tsx';

const MAX_ROWS = 1000;
type Report = RouterOutputs['contacts']['importMany'];

/** Reads a CSV file in the browser, imports it in one request and reports on every row. */
export function ImportDialog() {
  const inputId = useId();
  const [rows, setRows] = useState<CsvContact[]>([]);
  const [problem, setProblem] = useState<FormError | null>(null);
  const queryClient = useQueryClient();
  const importMany = trpc.contacts.importMany.useMutation({
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: CONTACTS_LIST_KEY }),
    onError: (error) => setProblem(toSubmitErrors(error, []).form),
  });

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    setProblem(null);
    importMany.reset();
    if (!file) return;
    const { contacts } = contactsFromCsv(await file.text());
    if (contacts.length === 0) return setProblem({ message: 'The file has no contacts. The first row must name the columns, e.g. name,email,phone,company,tags,notes.' });
    if (contacts.length > MAX_ROWS) return setProblem({ message: `The file has ${contacts.length} contacts; import at most ${MAX_ROWS} at a time.` });
    setRows(contacts);
    importMany.mutate({ contacts });
  };

  return (
    <div className="space-y-4">
      <div className="space-y-1.5">
        <label htmlFor={inputId} className="block text-sm font-medium text-slate-800">
          CSV file
        </label>
        <input
          id={inputId}
          type="file"
          accept=".csv,text/csv"
          onChange={(event) => void onFile(event)}
          disabled={importMany.isPending}
          className="block w-full text-sm text-slate-700 file:mr-3 file:rounded-lg file:border-0 file:bg-indigo-50 file:px-3 file:py-2 file:font-semibold file:text-indigo-700 hover:file:bg-indigo-100"
        />
        <p className="text-sm text-slate-500">Columns: name, email, phone, company, tags (separated by ;), notes. Up to {MAX_ROWS} rows.</p>
      </div>
      {problem && <FormAlert error={problem} />}
      {importMany.isPending && <LoadingStatus label={`Importing ${rows.length} contacts…`} />}
      {importMany.data && <ImportReport report={importMany.data} rows={rows} />}
    </div>
  );
}

function ImportReport({ report, rows }: { report: Report; rows: CsvContact[] }) {
  const problems = report.results.filter((result) => result.status !== 'created');
  return (
    <div className="space-y-3">
      <p role="status" className="rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-800">
        {report.created} imported, {report.duplicates} duplicates skipped, {report.invalid} invalid.
      </p>
      {problems.length > 0 && (
        <div className="max-h-64 overflow-y-auto rounded-lg ring-1 ring-slate-200">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Rows not imported</caption>
            <thead className="sticky top-0 bg-slate-50 text-xs text-slate-600 uppercase">
              <tr>
                <th scope="col" className="px-3 py-2">
                  Row
                </th>
                <th scope="col" className="px-3 py-2">
                  Contact
                </th>
                <th scope="col" className="px-3 py-2">
                  Problem
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {problems.map((result) => (
                <tr key={result.index}>
                  {/* Row numbers as in a spreadsheet: the header is row 1. */}
                  <td className="px-3 py-2 tabular-nums">{result.index + 2}</td>
                  <td className="max-w-32 truncate px-3 py-2">{rows[result.index]?.name ?? rows[result.index]?.email ?? '—'}</td>
                  <td className="px-3 py-2 text-slate-700">
                    {result.status === 'duplicate'
                      ? result.duplicateOf === undefined
                        ? 'Already in your contacts (same email).'
                        : `Same email as row ${result.duplicateOf + 2}.`
                      : result.status === 'invalid'
                        ? Object.entries(result.fieldErrors)
                            .map(([field, messages]) => (field === '_' ? messages.join(' ') : `${field}: ${messages.join(' ')}`))
                            .join('; ')
                        : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
