import { useState } from 'react';

/**
 * The `token` of a one-time link, read once; it is then dropped from the address bar so it does
 * not stay in the browser's history.
 */
export function useUrlToken(): string {
  const [token] = useState(() => {
    const value = new URLSearchParams(window.location.search).get('token') ?? '';
    if (value) window.history.replaceState(window.history.state, '', window.location.pathname);
    return value;
  });
  return token;
}
