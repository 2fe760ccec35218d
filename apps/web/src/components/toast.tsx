import { useCallback, useEffect, useRef, useState } from 'react';

export interface Toast {
  id: number;
  tone: 'success' | 'error';
  message: string;
}

const TOAST_MS = 5000;

/** A page's transient outcome messages ("Test delivered", "Secret rotated"), each gone after a few seconds. */
export function useToasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((toast) => toast.id !== id)), []);
  const push = useCallback((tone: Toast['tone'], message: string) => {
    const id = next.current++;
    setToasts((list) => [...list.slice(-1), { id, tone, message }]);
    return id;
  }, []);
  return { toasts, push, dismiss };
}

/** The live region the toasts appear in: announced politely, never stealing focus. */
export function Toasts({ toasts, dismiss }: { toasts: Toast[]; dismiss: (id: number) => void }) {
  return (
    <div aria-live="polite" role="status" className="pointer-events-none fixed inset-x-0 bottom-4 z-20 flex flex-col items-center gap-2 px-4">
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} dismiss={dismiss} />
      ))}
    </div>
  );
}

function ToastItem({ toast, dismiss }: { toast: Toast; dismiss: (id: number) => void }) {
  useEffect(() => {
    const timer = setTimeout(() => dismiss(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id, dismiss]);
  const tone = toast.tone === 'success' ? 'bg-emerald-800 text-white' : 'bg-red-800 text-white';
  return (
    <div className={`pointer-events-auto flex w-full max-w-md items-start justify-between gap-3 rounded-lg px-4 py-3 text-sm shadow-lg ${tone}`}>
      <p className="min-w-0 break-words">{toast.message}</p>
      <button type="button" onClick={() => dismiss(toast.id)} aria-label="Dismiss" className="-m-1 rounded p-1 leading-none hover:bg-white/10 focus-visible:outline-2 focus-visible:outline-white">
        ×
      </button>
    </div>
  );
}
