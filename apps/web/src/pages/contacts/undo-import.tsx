import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Button } from '../../components/button.tsx';
import { useToast } from '../../components/toast.tsx';
import { isApiError } from '../../lib/api-error.ts';
import { trpc } from '../../trpc.ts';
import { CONTACTS_LIST_KEY } from '../contacts.tsx';
import type { ImportedBatch } from './import-dialog.tsx';

/** The server's undo window (contacts.undoImport refuses after it). */
export const UNDO_WINDOW_MS = 10 * 60_000;
const STORAGE_KEY = 'bastion.contacts.lastImport';

function stored(): ImportedBatch | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as ImportedBatch | null;
    return value && typeof value.importId === 'string' && Date.now() - value.at < UNDO_WINDOW_MS ? value : null;
  } catch {
    return null;
  }
}

/** The last import of this tab, kept across reloads for as long as it can be undone. */
export function useLastImport() {
  const [batch, setBatch] = useState<ImportedBatch | null>(stored);
  const forget = () => {
    sessionStorage.removeItem(STORAGE_KEY);
    setBatch(null);
  };
  const remember = (next: ImportedBatch) => {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setBatch(next);
  };
  useEffect(() => {
    if (!batch) return;
    const timer = setTimeout(forget, Math.max(0, batch.at + UNDO_WINDOW_MS - Date.now()));
    return () => clearTimeout(timer);
  }, [batch]);
  return [batch, remember, forget] as const;
}

export function UndoImportBanner({ batch, onDone }: { batch: ImportedBatch; onDone: () => void }) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const undo = trpc.contacts.undoImport.useMutation({
    onSuccess: ({ deleted, kept }) => {
      void queryClient.invalidateQueries({ queryKey: CONTACTS_LIST_KEY });
      void utils.contacts.invalidate();
      toast(`Import undone: ${deleted} ${deleted === 1 ? 'contact' : 'contacts'} removed${kept ? `, ${kept} changed since kept` : ''}.`);
      onDone();
    },
    onError: (error) => {
      toast(isApiError(error) ? error.message : 'The import could not be undone. Try again.', 'error');
      if (isApiError(error) && (error.data?.reason === 'import_undo_expired' || error.data?.reason === 'import_not_found')) onDone();
    },
  });
  return (
    <div role="region" aria-label="Last import" className="mb-4 flex flex-wrap items-center justify-between gap-3 rounded-2xl bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-emerald-200 dark:bg-emerald-950 dark:text-emerald-100 dark:ring-emerald-800">
      <p>
        You imported {batch.created} {batch.created === 1 ? 'contact' : 'contacts'}. You can undo this for 10 minutes.
      </p>
      <div className="flex gap-2">
        <Button variant="secondary" compact pending={undo.isPending} pendingLabel="Undoing…" onClick={() => undo.mutate({ importId: batch.importId })} className="dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-600">
          Undo import
        </Button>
        <Button variant="secondary" compact onClick={onDone} aria-label="Dismiss" className="dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-600">
          ×
        </Button>
      </div>
    </div>
  );
}
