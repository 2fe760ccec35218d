/**
 * Wraps `task` so that callers arriving while a run is in flight share that run's promise instead
 * of starting another. Once it settles, the next call starts a fresh run.
 *
 * Used for the session refresh: the API rotates the refresh token on every use, so two parallel
 * refreshes would race each other and one of them would present an already-rotated token.
 */
export function singleFlight<T>(task: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    inFlight ??= (async () => {
      try {
        return await task();
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };
}
