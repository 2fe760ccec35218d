import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../src/retry-after.ts';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date, and one in the past as 0', () => {
    expect(retryAfterMs('Tue, 01 Dec 2026 12:00:07 GMT', now)).toBe(7000);
    expect(retryAfterMs('Tue, 01 Dec 2026 11:59:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [null, undefined, '', '-1', '1.5', 'soon']) expect(retryAfterMs(value, now)).toBeNull();
  });
});
