/**
 * Runs `source` to its end even when the consumer leaves early (a dropped SSE connection): the
 * consumer sees the events while it stays, the rest of the work (and its accounting) still
 * happens. A failure after the consumer left is dropped here; `source` handles its own cleanup.
 */
export function detached<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const buffered: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let consumerGone = false;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for await (const item of source) {
        if (!consumerGone) buffered.push(item);
        wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake?.();
    }
  })();
  return (async function* () {
    try {
      for (;;) {
        if (buffered.length > 0) {
          yield buffered.shift() as T;
          continue;
        }
        if (failure) throw failure.error;
        if (finished) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      consumerGone = true;
    }
  })();
}
