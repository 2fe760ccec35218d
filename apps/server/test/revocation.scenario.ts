import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBastionClient, errorDataOf } from '@bastion/client';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { startServerProcess, type ServerProcess } from '../../../test/helpers/process.ts';
import { STRONG_PASSWORD, uniqueEmail } from '../../../test/helpers/server.ts';

const client = (server: ServerProcess, accessToken?: string) => createBastionClient({ baseUrl: server.url, accessToken, retries: 0, timeoutMs: 120_000 });

async function login(server: ServerProcess, email: string) {
  const result = await client(server).auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  if (result.status !== 'authenticated' || !result.accessToken) throw new Error('no tokens');
  return result.accessToken;
}

/** Polls until the token is refused: whether that happened within `limitMs`. */
async function refusedWithin(server: ServerProcess, accessToken: string, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    try {
      await client(server, accessToken).auth.me.query();
    } catch (error) {
      if (errorDataOf(error)?.code === 'UNAUTHORIZED') return true;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/**
 * Two real server processes on one database. Each caches live sessions for 5 s, so only the
 * cross-instance notification (LISTEN/NOTIFY, or Redis with `REDIS_URL`) can make the second one
 * refuse a revoked session within 2 s.
 */
export function revocationAcrossInstances(name: string, env: Record<string, string>) {
  describe(name, () => {
    let first: ServerProcess;
    let second: ServerProcess;

    beforeAll(async () => {
      const DATABASE_URL = await createTestDatabase();
      [first, second] = await Promise.all([startServerProcess({ DATABASE_URL, WORKERS: 'off', ...env }), startServerProcess({ DATABASE_URL, WORKERS: 'off', ...env })]);
    });

    afterAll(async () => {
      await Promise.all([first?.stop(), second?.stop()]);
    });

    it('a session revoked on one instance is refused by the other within 2 s', async () => {
      const email = uniqueEmail();
      await client(first).auth.register.mutate({ email, password: STRONG_PASSWORD });
      const keeper = await login(first, email);
      const victim = await login(first, email);
      // The second instance has seen the victim's session as live and cached it.
      await client(second, victim).auth.me.query();
      await client(second, victim).auth.me.query();

      const sessions = await client(first, keeper).auth.sessions.list.query();
      await client(first, keeper).auth.sessions.revoke.mutate({ sessionId: sessions.find((s) => !s.current)!.id });

      expect(await refusedWithin(second, victim, 2000)).toBe(true);
      await expect(client(second, keeper).auth.me.query()).resolves.toBeDefined();
    });

    it('sign-out everywhere on one instance reaches the other within 2 s', async () => {
      const email = uniqueEmail();
      await client(second).auth.register.mutate({ email, password: STRONG_PASSWORD });
      const tokens = [await login(second, email), await login(second, email)];
      for (const token of tokens) await client(first, token).auth.me.query();
      await client(second, tokens[0]).auth.logoutAll.mutate();
      for (const token of tokens) expect(await refusedWithin(first, token, 2000)).toBe(true);
    });
  });
}
