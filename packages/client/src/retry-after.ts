/**
 * `Retry-After` (RFC 9110 §10.2.3) as milliseconds from `now`: either delay-seconds or an
 * HTTP-date. Null when absent or unreadable, so the caller falls back to its own backoff.
 */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) start with the day's name; the
  // check keeps Date.parse's leniency ("-1", "1.5" are dates to it) out.
  const at = /^[A-Za-z]{3,9},? /.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
