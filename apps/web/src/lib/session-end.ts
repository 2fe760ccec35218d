/**
 * The end of a session, told to every tab of this browser. The cookies are shared by all tabs, so
 * when one tab learns that the session is gone (a refresh answered 401: revoked elsewhere, or idle
 * too long), the others hold a dead session too: each clears what it cached and goes to sign-in.
 */
const CHANNEL = 'bastion-session';

export const SIGNED_OUT_MESSAGE = 'You were signed out (on another device or after a while). Sign in again.';

type Listener = () => void;
const listeners = new Set<Listener>();
let channel: BroadcastChannel | null = null;

function ensureChannel(): BroadcastChannel | null {
  if (channel || typeof BroadcastChannel === 'undefined') return channel;
  channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (event: MessageEvent) => {
    if (event.data === 'ended') for (const listener of listeners) listener();
  };
  return channel;
}

/** Runs `listener` when the session ends, in this tab or another one. */
export function onSessionEnded(listener: Listener): () => void {
  ensureChannel();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The session is gone: tells every other tab, and this tab's listeners unless it handles that itself (sign-out). */
export function announceSessionEnded({ here = true } = {}): void {
  ensureChannel()?.postMessage('ended');
  if (here) for (const listener of listeners) listener();
}

/**
 * A return path taken from the URL, or null when it is not a path on this site: `next` is
 * attacker-controlled (`?next=//evil.example` or `https://…` would be an open redirect).
 */
export function safeReturnPath(next: string | null | undefined): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return null;
  try {
    const url = new URL(next, 'https://bastion.invalid');
    if (url.origin !== 'https://bastion.invalid' || url.pathname === '/sign-in') return null;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return null;
  }
}

/** The sign-in page's address for someone sent there from `location`, remembering where to return. */
export function signInUrl(location: { pathname: string; search: string }, reason?: 'signed_out'): string {
  const params = new URLSearchParams();
  if (reason) params.set('reason', reason);
  const back = safeReturnPath(`${location.pathname}${location.search}`);
  if (back && back !== '/') params.set('next', back);
  const query = params.toString();
  return query ? `/sign-in?${query}` : '/sign-in';
}
