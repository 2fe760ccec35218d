/**
 * `Retry-After` (RFC 9110 §10.2.3) as milliseconds from `now`: either delay-seconds or an
 * HTTP-date. Null when absent or unreadable, so the caller falls back to its own backoff.
 */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
