export function Spinner({ className = 'size-4' }: { className?: string }) {
  return <span aria-hidden="true" className={`${className} inline-block animate-spin rounded-full border-2 border-current border-r-transparent`} />;
}

export function LoadingStatus({ label }: { label: string }) {
  return (
    <div role="status" className="flex items-center gap-3 text-sm text-slate-600 dark:text-gray-400">
      <Spinner className="size-5 text-indigo-600 dark:text-indigo-300" />
      {label}
    </div>
  );
}
