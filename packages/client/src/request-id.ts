/**
 * What the server accepts as `x-request-id` (apps/server/src/request-id.ts): anything else it
 * silently replaces, and the caller's id would then never appear in a log line or an error.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

export function newRequestId(): string {
  return globalThis.crypto.randomUUID();
}
