import type { ButtonHTMLAttributes } from 'react';
import { Spinner } from './spinner.tsx';

const variants = {
  primary: 'bg-indigo-600 text-white shadow-sm hover:bg-indigo-500 disabled:bg-indigo-400',
  secondary: 'bg-white text-slate-800 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50 disabled:text-slate-400',
};

export const buttonClasses = (variant: keyof typeof variants) =>
  `inline-flex min-h-10 items-center justify-center gap-2 rounded-lg px-4 py-2 text-sm font-semibold transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed ${variants[variant]}`;

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: keyof typeof variants;
  pending?: boolean;
  /** Replaces the label while pending, e.g. "Signing in…". */
  pendingLabel?: string;
};

export function Button({ variant = 'primary', pending = false, pendingLabel, disabled, className = '', children, ...props }: ButtonProps) {
  return (
    <button type="button" disabled={disabled || pending} className={`${buttonClasses(variant)} ${className}`} {...props}>
      {pending && <Spinner />}
      {pending && pendingLabel ? pendingLabel : children}
    </button>
  );
}
