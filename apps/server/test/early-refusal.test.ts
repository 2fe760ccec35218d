import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiters, loadConfig } from '@bastion/api';
import { earlyRateLimit } from '../src/early-refusal.ts';
import { requestId } from '../src/request-id.ts';

const config = loadConfig({ NODE_ENV: 'test', RATE_LIMIT_STORE: 'memory', RATE_LIMITS: 'health.ping=1/60' });
const rateLimiters = createRateLimiters({ config: config.rateLimit, logger: pino({ level: 'silent' }), metrics: new Registry() });
const reached: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(requestId);
  app.use('/trpc', earlyRateLimit({ config, rateLimiters }), (req, res) => {
    reached.push(`${req.method} ${req.url}`);
    res.json({ reached: true });
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe('earlyRateLimit', () => {
  it('hands every call to tRPC until the address is refused, then answers 429 itself', async () => {
    expect((await fetch(`${base}/trpc/health.ping`)).status).toBe(200);
    const client = 'ip:127.0.0.1';
    const decisions = await rateLimiters.consume([{ policy: 'global', key: client }, { policy: 'health.ping', key: client }]);
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true]);
    expect((await rateLimiters.consume([{ policy: 'health.ping', key: client }]))[0]!.allowed).toBe(false);
    reached.length = 0;

    const refused = await fetch(`${base}/trpc/health.ping`, { headers: { 'x-request-id': 'req-early-refusal-1' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe('"health.ping";q=1;w=60');
    expect(await refused.json()).toEqual({
      error: {
        message: expect.stringMatching(/^Too many requests\. Try again in \d+ seconds\.$/),
        code: -32029,
        data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, path: 'health.ping', reason: 'rate_limited', requestId: 'req-early-refusal-1', retryAfterSeconds: expect.any(Number) },
      },
    });
    expect(reached).toEqual([]);

    // A batch, the wrong method, an unknown path and a per-user policy's procedure are tRPC's to answer.
    await fetch(`${base}/trpc/health.ping,health.ping?batch=1&input={}`);
    await fetch(`${base}/trpc/health.ping`, { method: 'POST' });
    await fetch(`${base}/trpc/no.such`);
    await fetch(`${base}/trpc/contacts.list`);
    expect(reached).toEqual(['GET /health.ping,health.ping?batch=1&input={}', 'POST /health.ping', 'GET /no.such', 'GET /contacts.list']);
  });
});
