import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime } from './format.ts';
import { setDisplayPreferences } from './preferences.ts';

describe('formatDateTime', () => {
  it('follows the chosen time zone and locale, changed at run time', () => {
    const instant = '2026-03-01T23:30:00.000Z';
    setDisplayPreferences({ theme: 'system', timeZone: 'UTC', locale: 'en-GB' });
    expect(formatDateTime(instant)).toBe('1 Mar 2026, 23:30');
    setDisplayPreferences({ theme: 'system', timeZone: 'Asia/Tokyo', locale: 'de-DE' });
    expect(formatDateTime(instant)).toBe('02.03.2026, 08:30');
    expect(formatDate(instant, 'long')).toBe('2. März 2026');
  });

  it('falls back to the browser defaults for an unusable zone instead of throwing', () => {
    setDisplayPreferences({ theme: 'system', timeZone: 'Not/AZone', locale: 'en-GB' });
    expect(formatDateTime('2026-03-01T23:30:00.000Z')).toMatch(/2026/);
  });
});
