import type { FormError } from '../lib/api-error.ts';

export function FormAlert({ error }: { error: FormError }) {
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
      <p>{error.message}</p>
      {error.requestId && (
        <p className="mt-1 text-xs text-red-700/80">
          Reference: <code className="font-mono break-all">{error.requestId}</code>
        </p>
      )}
    </div>
  );
}

export function Notice({ children }: { children: string }) {
  return (
    <p role="status" className="rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-800 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200">
      {children}
    </p>
  );
}
