/** Fires `count` calls of `health.ping` at once, spread round-robin over `urls`; returns the statuses. */
export async function burstPings(urls: string[], count: number): Promise<{ ok: number; limited: number; other: number }> {
  const statuses = await Promise.all(
    Array.from({ length: count }, (_, i) => fetch(`${urls[i % urls.length]}/trpc/health.ping`).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    })),
  );
  return {
    ok: statuses.filter((s) => s === 200).length,
    limited: statuses.filter((s) => s === 429).length,
    other: statuses.filter((s) => s !== 200 && s !== 429).length,
  };
}

/** Only `health.ping` is tight, so a burst measures exactly that policy. */
export const PING_LIMIT_50 = { RATE_LIMITS: '*=100000/60,health.ping=50/60' };
