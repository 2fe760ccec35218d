import { displayPreferences } from './preferences.ts';

const cache = new Map<string, Intl.DateTimeFormat>();

/** A formatter for the user's locale and time zone (the browser's when none is chosen or one is unusable). */
function formatter(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const { locale, timeZone } = displayPreferences();
  const key = `${locale ?? ''}|${timeZone ?? ''}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat(undefined, options);
    }
    cache.set(key, format);
  }
  return format;
}

export function formatDateTime(iso: string): string {
  return formatter({ dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatDate(iso: string, dateStyle: 'medium' | 'long' = 'medium'): string {
  return formatter({ dateStyle }).format(new Date(iso));
}

/** Numbers in the user's locale. */
export function formatNumber(value: number): string {
  try {
    return new Intl.NumberFormat(displayPreferences().locale).format(value);
  } catch {
    return new Intl.NumberFormat().format(value);
  }
}
