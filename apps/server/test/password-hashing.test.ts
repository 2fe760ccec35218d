import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { passwordHashingStats } from '@bastion/api';
import { post, startTestServer, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

it('a sign-in flood runs argon2 on at most all cores but one, the rest waiting their turn, and every call is answered', async () => {
  const slots = Math.max(1, availableParallelism() - 1);
  let peakRunning = 0;
  let peakWaiting = 0;
  const sampler = setInterval(() => {
    const { running, waiting } = passwordHashingStats();
    peakRunning = Math.max(peakRunning, running);
    peakWaiting = Math.max(peakWaiting, waiting);
  }, 1);
  try {
    // Unknown accounts still cost a full argon2 verification (no enumeration by timing).
    const statuses = await Promise.all(Array.from({ length: 12 }, () => post(server, 'auth.login', { email: uniqueEmail('flood'), password: 'wrong-password-123' }).then((r) => r.status)));
    expect(statuses).toEqual(Array(12).fill(401));
  } finally {
    clearInterval(sampler);
  }
  expect(peakRunning).toBeGreaterThan(0);
  expect(peakRunning).toBeLessThanOrEqual(slots);
  expect(peakWaiting).toBeGreaterThan(0);
  expect(passwordHashingStats()).toEqual({ running: 0, waiting: 0 });
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/bastion_password_hashes\{state="running"\} 0/);
});
