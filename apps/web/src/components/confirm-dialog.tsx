import type { ReactNode } from 'react';
import { FormAlert } from './alerts.tsx';
import { Button } from './button.tsx';
import { Dialog } from './dialog.tsx';

/**
 * The confirmation before a destructive action: what it does (`children`), why it failed if it
 * did, a way back and the action itself in the danger colour. Closing resets the caller's state.
 */
export function ConfirmDialog({
  title,
  open,
  onClose,
  onConfirm,
  confirmLabel,
  pendingLabel,
  pending,
  error,
  cancelLabel = 'Cancel',
  children,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  onConfirm: () => void;
  confirmLabel: string;
  pendingLabel: string;
  pending: boolean;
  error?: string | undefined;
  cancelLabel?: string;
  children: ReactNode;
}) {
  return (
    <Dialog title={title} open={open} onClose={onClose}>
      <div className="text-sm break-words text-slate-700 dark:text-gray-300">{children}</div>
      {error && (
        <div className="mt-3">
          <FormAlert error={{ message: error }} />
        </div>
      )}
      <div className="mt-5 flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={onClose}>
          {cancelLabel}
        </Button>
        <Button variant="danger" pending={pending} pendingLabel={pendingLabel} onClick={onConfirm}>
          {confirmLabel}
        </Button>
      </div>
    </Dialog>
  );
}
