import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Button } from '../../components/button.tsx';
import { Dialog } from '../../components/dialog.tsx';
import { useToast } from '../../components/toast.tsx';
import { toSubmitErrors } from '../../lib/api-error.ts';
import { trpc } from '../../trpc.ts';
import { CONTACTS_LIST_KEY } from '../contacts.tsx';
import { splitTags } from './url-state.ts';

/** contacts.deleteMany and contacts.tagMany take at most this many ids. */
const BULK_MAX = 1000;
const plural = (n: number) => `${n} ${n === 1 ? 'contact' : 'contacts'}`;
const secondary = 'dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-600';

/** Actions on the selected contacts: add or remove a tag, delete (after a confirmation). */
export function BulkBar({ ids, onDone }: { ids: string[]; onDone: () => void }) {
  const tagId = useId();
  const [tags, setTags] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const toast = useToast();
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: CONTACTS_LIST_KEY });
    void utils.contacts.invalidate();
  };
  const fail = (failure: unknown) => toast(toSubmitErrors(failure, []).form?.message ?? 'That did not work. Try again.', 'error');
  const tagMany = trpc.contacts.tagMany.useMutation({ onError: fail });
  const deleteMany = trpc.contacts.deleteMany.useMutation({
    onSuccess: ({ deleted }) => {
      refresh();
      setConfirming(false);
      toast(`${plural(deleted)} deleted.`);
      onDone();
    },
    onError: fail,
  });

  const tooMany = ids.length > BULK_MAX;
  const changeTags = (event: FormEvent<HTMLFormElement>, mode: 'add' | 'remove') => {
    event.preventDefault();
    if (tooMany) return;
    const names = splitTags(tags);
    if (names.length === 0) return setError('Enter a tag.');
    setError(null);
    tagMany.mutate(mode === 'add' ? { ids, add: names } : { ids, remove: names }, {
      onSuccess: ({ updated, skipped }) => {
        refresh();
        setTags('');
        const verb = mode === 'add' ? 'Tagged' : 'Untagged';
        toast(`${verb} ${plural(updated)}${skipped ? `; ${plural(skipped)} already have 20 tags` : ''}.`);
      },
    });
  };

  return (
    <div role="region" aria-label="Selected contacts" className="mb-3 rounded-2xl bg-indigo-50 p-3 ring-1 ring-indigo-200 sm:px-4 dark:bg-indigo-950 dark:ring-indigo-800">
      <form
        noValidate
        onSubmit={(event) => changeTags(event, (event.nativeEvent as SubmitEvent).submitter?.getAttribute('value') === 'remove' ? 'remove' : 'add')}
        className="flex flex-wrap items-end gap-2"
      >
        <p className="w-full text-sm font-semibold text-indigo-900 sm:w-auto sm:self-center sm:pr-2 dark:text-indigo-100">{ids.length} selected</p>
        <div className="min-w-0 flex-1 basis-40">
          <label htmlFor={tagId} className="sr-only">
            Tags for the selected contacts
          </label>
          <input
            id={tagId}
            value={tags}
            onChange={(event) => setTags(event.target.value)}
            placeholder="Tags, separated by commas"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${tagId}-error` : undefined}
            className="block min-h-10 w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base shadow-xs focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 sm:text-sm dark:border-gray-700 dark:bg-gray-800 dark:text-gray-100"
          />
        </div>
        <Button type="submit" name="mode" value="add" compact disabled={tooMany} pending={tagMany.isPending && tagMany.variables?.add !== undefined} pendingLabel="Tagging…">
          Add tag
        </Button>
        <Button type="submit" name="mode" value="remove" variant="secondary" compact className={secondary} disabled={tagMany.isPending || tooMany}>
          Remove tag
        </Button>
        <Button variant="secondary" compact className={`text-red-700 dark:text-red-300 ${secondary}`} disabled={tooMany} onClick={() => setConfirming(true)}>
          Delete…
        </Button>
        <Button variant="secondary" compact className={secondary} onClick={onDone}>
          Clear selection
        </Button>
        {tooMany && <p className="w-full text-sm text-red-700 dark:text-red-300">Select at most {BULK_MAX} contacts at a time.</p>}
        {error && (
          <p id={`${tagId}-error`} className="w-full text-sm text-red-700 dark:text-red-300">
            {error}
          </p>
        )}
      </form>
      <Dialog title={`Delete ${plural(ids.length)}?`} open={confirming} onClose={() => setConfirming(false)}>
        <p className="text-sm text-slate-700 dark:text-gray-300">They are deleted for good; this cannot be undone.</p>
        <div className="mt-5 flex flex-wrap justify-end gap-2">
          <Button variant="secondary" className={secondary} onClick={() => setConfirming(false)}>
            Cancel
          </Button>
          <Button className="bg-red-700 hover:bg-red-600" pending={deleteMany.isPending} pendingLabel="Deleting…" onClick={() => deleteMany.mutate({ ids })}>
            Delete {plural(ids.length)}
          </Button>
        </div>
      </Dialog>
    </div>
  );
}
