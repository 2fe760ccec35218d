import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Button } from './button.tsx';

/**
 * A modal on the native <dialog>: focus moves in and is trapped, Escape closes, focus returns to the
 * opener on close — all by the browser.
 *
 * Closing it by Escape or × after typing into it asks first, so a slip of the key does not lose the
 * edits. Any input inside counts as an edit (not choosing a file: that starts an action) unless the
 * caller says otherwise with `dirty`. The caller's own Cancel buttons close without asking.
 */
export function Dialog({ title, open, onClose, children, dirty }: { title: string; open: boolean; onClose: () => void; children: ReactNode; dirty?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [edited, setEdited] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const hasEdits = dirty ?? edited;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
    if (!open) {
      setEdited(false);
      setConfirming(false);
    }
  }, [open]);
  const requestClose = () => {
    if (hasEdits) setConfirming(true);
    else onClose();
  };
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClose}
      onCancel={(event) => {
        if (!hasEdits) return;
        event.preventDefault();
        setConfirming(true);
      }}
      onInput={(event) => {
        // Choosing a file starts an action (an import) rather than an edit that could be lost.
        const target = event.target as HTMLInputElement;
        if (target.type !== 'file' && !target.readOnly) setEdited(true);
      }}
      className="m-auto max-h-[90dvh] w-[calc(100%-2rem)] max-w-lg rounded-2xl bg-white p-0 shadow-xl ring-1 ring-slate-200 backdrop:bg-slate-900/40 dark:bg-gray-900 dark:ring-gray-700"
    >
      {open && (
        <div className="p-6">
          <div className="mb-4 flex items-start justify-between gap-4">
            <h2 id={titleId} className="text-lg font-semibold text-slate-900 dark:text-gray-100">
              {title}
            </h2>
            <button
              type="button"
              onClick={requestClose}
              aria-label="Close"
              className="-m-1 flex size-11 shrink-0 items-center justify-center rounded-md text-xl leading-none text-slate-500 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-gray-400 dark:hover:bg-gray-800 dark:hover:text-white"
            >
              ×
            </button>
          </div>
          {confirming && <DiscardPrompt onKeep={() => setConfirming(false)} onDiscard={onClose} />}
          {children}
        </div>
      )}
    </dialog>
  );
}

function DiscardPrompt({ onKeep, onDiscard }: { onKeep: () => void; onDiscard: () => void }) {
  const keepRef = useRef<HTMLButtonElement>(null);
  useEffect(() => keepRef.current?.focus(), []);
  return (
    <div role="alert" className="mb-4 space-y-3 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
      <p className="font-medium">Discard your changes?</p>
      <p>What you typed in this dialog has not been saved.</p>
      <div className="flex flex-wrap gap-2">
        <Button ref={keepRef} compact onClick={onKeep}>
          Keep editing
        </Button>
        <Button variant="secondary" compact onClick={onDiscard}>
          Discard changes
        </Button>
      </div>
    </div>
  );
}
