import { AppError } from '../../errors/app-error.ts';

const BASE = 'https://bastion.invalid';

const hasControlCharacter = (value: string) => [...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);

/**
 * Where the callback may send the browser: a path on this origin. `//host`, `/\host` (which
 * browsers read as `//host`), schemes and control characters are refused; the answer is the
 * normalised path, query and fragment, so what is stored cannot change meaning when used.
 */
export function safeRedirect(value: string | undefined): string {
  if (value === undefined || value === '') return '/';
  const refused = () => new AppError('BAD_REQUEST', 'invalid_redirect', 'The redirect must be a path on this site.');
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\') || hasControlCharacter(value)) throw refused();
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    throw refused();
  }
  if (url.origin !== BASE) throw refused();
  return `${url.pathname}${url.search}${url.hash}`;
}
