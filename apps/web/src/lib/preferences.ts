/**
 * The display preferences this browser applies now: the account's (synced from the server once
 * signed in), remembered in localStorage so the next load starts with them — `public/theme.js`
 * reads the theme from there before the first paint. Dates are formatted from this store too.
 */
export type Theme = 'system' | 'light' | 'dark';

export interface DisplayPreferences {
  theme: Theme;
  /** Undefined: the browser's own. */
  timeZone?: string | undefined;
  locale?: string | undefined;
}

const KEY = 'bastion.preferences';
const listeners = new Set<() => void>();

function load(): DisplayPreferences {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<DisplayPreferences>;
    const theme = saved.theme === 'light' || saved.theme === 'dark' ? saved.theme : 'system';
    return { theme, timeZone: typeof saved.timeZone === 'string' ? saved.timeZone : undefined, locale: typeof saved.locale === 'string' ? saved.locale : undefined };
  } catch {
    return { theme: 'system' };
  }
}

let current: DisplayPreferences = typeof window === 'undefined' ? { theme: 'system' } : load();

export function displayPreferences(): DisplayPreferences {
  return current;
}

export function subscribeDisplayPreferences(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const darkQuery = () => window.matchMedia('(prefers-color-scheme: dark)');

export function isDark(theme: Theme, systemDark: boolean): boolean {
  return theme === 'dark' || (theme === 'system' && systemDark);
}

function applyTheme() {
  if (typeof document === 'undefined') return;
  document.documentElement.classList.toggle('dark', isDark(current.theme, darkQuery().matches));
}

/** Applies at once, remembers for the next load, and re-renders whoever formats with them. */
export function setDisplayPreferences(next: DisplayPreferences): void {
  const same = next.theme === current.theme && next.timeZone === current.timeZone && next.locale === current.locale;
  current = next;
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // Storage refused: applied for this page load only.
  }
  applyTheme();
  if (!same) for (const listener of listeners) listener();
}

/** "System" follows the OS while the page is open, not just at load. */
export function followSystemTheme(): () => void {
  const query = darkQuery();
  query.addEventListener('change', applyTheme);
  return () => query.removeEventListener('change', applyTheme);
}
