import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';

interface Toast {
  id: number;
  message: string;
  tone: 'success' | 'error';
}

const ToastContext = createContext<(message: string, tone?: Toast['tone']) => void>(() => {});

/** Outcomes of actions, announced politely and gone after a few seconds (or on dismiss). */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const show = useCallback((message: string, tone: Toast['tone'] = 'success') => {
    const toast = { id: Date.now() + Math.random(), message, tone };
    // The same outcome again (a setting saved twice) replaces its toast rather than stacking a copy.
    setToasts((current) => [...current.filter((shown) => shown.message !== message || shown.tone !== tone).slice(-2), toast]);
  }, []);
  const dismiss = (id: number) => setToasts((current) => current.filter((toast) => toast.id !== id));
  return (
    <ToastContext.Provider value={show}>
      {children}
      <div aria-live="polite" className="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4">
        {toasts.map((toast) => (
          <ToastItem key={toast.id} toast={toast} onDismiss={() => dismiss(toast.id)} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: () => void }) {
  // The timer starts once per toast: re-renders (a new onDismiss each time) must not restart it.
  const dismiss = useRef(onDismiss);
  dismiss.current = onDismiss;
  useEffect(() => {
    const timer = setTimeout(() => dismiss.current(), 6000);
    return () => clearTimeout(timer);
  }, []);
  return (
    <div
      role={toast.tone === 'error' ? 'alert' : 'status'}
      data-testid="toast"
      className={`pointer-events-auto flex w-full max-w-md items-start justify-between gap-3 rounded-lg px-4 py-3 text-sm shadow-lg ring-1 ${
        toast.tone === 'error' ? 'bg-red-50 text-red-900 ring-red-200 dark:bg-red-950 dark:text-red-100 dark:ring-red-800' : 'bg-slate-900 text-white ring-slate-900 dark:bg-gray-700 dark:ring-gray-600'
      }`}
    >
      <span>{toast.message}</span>
      <button type="button" onClick={onDismiss} aria-label="Dismiss" className="-m-1 rounded p-1 leading-none opacity-80 hover:opacity-100 focus-visible:outline-2 focus-visible:outline-indigo-400">
        ×
      </button>
    </div>
  );
}

export const useToast = () => useContext(ToastContext);
