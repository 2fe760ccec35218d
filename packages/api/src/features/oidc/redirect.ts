import { AppError } from '../../errors/app-error.ts';

const BASE = 'https://bastion.invalid';

/**
 * Where the callback may send the browser: a path on this origin. `//host`, `/\host` (which
 * browsers read as `//host`), schemes and control characters are refused; the answer is the
 * normalised path, query and fragment, so what is stored cannot change meaning when used.
 */
export function safeRedirect(value: string | undefined): string {
  if (value === undefined || value === '') return '/';
  const refused = () => new AppError('BAD_REQUEST', 'invalid_redirect', 'The redirect must be a path on this site.');
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\') || /[\u0000-\u001f\u007f]/.test(value)) throw refused();
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    throw refused();
  }
  if (url.origin !== BASE) throw refused();
  return `${url.pathname}${url.search}${url.hash}`;
}
