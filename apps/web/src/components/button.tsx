import type { ButtonHTMLAttributes, Ref } from 'react';
import { Spinner } from './spinner.tsx';

const variants = {
  primary: 'bg-indigo-600 text-white shadow-sm hover:bg-indigo-500 disabled:bg-indigo-400',
  danger: 'bg-red-600 text-white shadow-sm hover:bg-red-500 disabled:bg-red-400',
  secondary: 'bg-white text-slate-800 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50 disabled:text-slate-400 dark:bg-gray-800 dark:text-gray-100 dark:ring-gray-700 dark:hover:bg-gray-800',
};

/** `compact` narrows the padding on small screens, for buttons that share a row with others. */
export const buttonClasses = (variant: keyof typeof variants, { compact = false } = {}) =>
  `inline-flex min-h-10 items-center justify-center gap-2 rounded-lg py-2 text-sm font-semibold whitespace-nowrap ${compact ? 'px-3 sm:px-4' : 'px-4'} transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed ${variants[variant]}`;

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: keyof typeof variants;
  compact?: boolean;
  pending?: boolean;
  /** Replaces the label while pending, e.g. "Signing in…". */
  pendingLabel?: string;
  ref?: Ref<HTMLButtonElement>;
};

export function Button({ variant = 'primary', compact, pending = false, pendingLabel, disabled, className = '', children, ...props }: ButtonProps) {
  return (
    <button type="button" disabled={disabled || pending} className={`${buttonClasses(variant, { compact })} ${className}`} {...props}>
      {pending && <Spinner />}
      {pending && pendingLabel ? pendingLabel : children}
    </button>
  );
}
