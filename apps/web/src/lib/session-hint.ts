/**
 * The server sets a script-readable `bastion_session` cookie (`__Host-` prefixed when Secure) with
 * the httpOnly token cookies and clears it with them. It grants nothing; it only says whether asking
 * the server about a session is worth a request. Without it no session can exist, so a signed-out
 * visitor sends no `auth.me` or `auth.refresh` at all.
 */
const HINT_NAMES = new Set(['bastion_session', '__Host-bastion_session']);

/** Whether a `document.cookie`-style string holds the session hint. */
export function hasSessionHint(cookies: string): boolean {
  return cookies.split(';').some((pair) => HINT_NAMES.has(pair.split('=', 1)[0]!.trim()));
}

/** Read on every call, never cached: the server sets and clears the hint with each auth response. */
export function sessionMayExist(): boolean {
  return hasSessionHint(document.cookie);
}
