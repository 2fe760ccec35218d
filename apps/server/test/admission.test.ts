import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { admission, type AdmissionOptions } from '../src/admission.ts';
import { requestId } from '../src/request-id.ts';

// A real Express app over real HTTP: each call to /work waits until the test lets it finish.
async function serve(options: Partial<AdmissionOptions> = {}) {
  const refusals: string[] = [];
  const gate = admission({ maxInFlight: 2, maxQueued: 100, queueTimeoutMs: 10_000, onRejected: (why) => refusals.push(why), ...options });
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const app = express();
  app.use(requestId);
  app.use(gate.handler);
  app.get('/work/:name', (req, res) => {
    const name = String(req.params.name);
    started.push(name);
    finish.set(name, () => res.json({ name }));
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = (name: string, init?: RequestInit) => fetch(`${base}/work/${name}`, init);
  // A call left unanswered when the test ends fails as its server closes: that is expected.
  const fire = (name: string, init?: RequestInit) => void call(name, init).catch(() => {});
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(condition()).toBe(true);
  };
  return { gate, started, finish, refusals, call, fire, until };
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

describe('admission', () => {
  it('serves at most maxInFlight at once and the rest in arrival order', async () => {
    const { gate, started, finish, call, until } = await serve();
    const answers = ['a', 'b', 'c', 'd', 'e'].map((name, i) => new Promise((resolve) => setTimeout(resolve, i * 20)).then(() => call(name)));
    await until(() => gate.stats().queued === 3);
    expect(started).toEqual(['a', 'b']);
    expect(gate.stats()).toEqual({ inFlight: 2, queued: 3 });
    finish.get('b')!();
    await until(() => started.length === 3);
    expect(started).toEqual(['a', 'b', 'c']);
    for (const name of ['a', 'c']) finish.get(name)!();
    await until(() => started.length === 5);
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const name of ['d', 'e']) finish.get(name)!();
    const bodies = await Promise.all(answers.map(async (answer) => (await (await answer).json()) as { name: string }));
    expect(bodies.map((body) => body.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(gate.stats()).toEqual({ inFlight: 0, queued: 0 });
  });

  it('answers 503 server_busy with Retry-After at once when the queue is full', async () => {
    const { started, refusals, call, fire, until } = await serve({ maxInFlight: 1, maxQueued: 1 });
    fire('a');
    await until(() => started.length === 1);
    fire('b');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await call('c', { headers: { 'x-request-id': 'req-admission-full-1' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      error: {
        message: 'The server is busy. Try again in a moment.',
        code: -32603,
        data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503, reason: 'server_busy', requestId: 'req-admission-full-1', retryAfterSeconds: 1 },
      },
    });
    expect(refusals).toEqual(['queue_full']);
    expect(started).toEqual(['a']);
  });

  it('answers 503 to a call that waited past the queue timeout, and never serves it', async () => {
    const { gate, started, finish, refusals, call, fire, until } = await serve({ maxInFlight: 1, queueTimeoutMs: 100 });
    fire('a');
    await until(() => started.length === 1);
    const late = await call('b');
    expect(late.status).toBe(503);
    expect(refusals).toEqual(['queue_timeout']);
    finish.get('a')!();
    await until(() => gate.stats().inFlight === 0);
    expect(started).toEqual(['a']);
  });

  it('drops a call whose client left while it waited', async () => {
    const { gate, started, finish, call, fire, until } = await serve({ maxInFlight: 1 });
    fire('a');
    await until(() => started.length === 1);
    const controller = new AbortController();
    const left = call('gone', { signal: controller.signal }).catch(() => 'aborted');
    await until(() => gate.stats().queued === 1);
    controller.abort();
    expect(await left).toBe('aborted');
    const kept = call('kept');
    await until(() => gate.stats().queued === 2);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the server sees the abandoned socket close
    finish.get('a')!();
    await until(() => started.length === 2);
    finish.get('kept')!();
    expect((await kept).status).toBe(200);
    expect(started).toEqual(['a', 'kept']);
  });

  it('does not count subscriptions (SSE), which last as long as the client stays', async () => {
    const { gate, started, fire, until } = await serve({ maxInFlight: 1 });
    fire('a');
    await until(() => started.length === 1);
    fire('stream', { headers: { accept: 'text/event-stream' } });
    await until(() => started.length === 2);
    expect(gate.stats()).toEqual({ inFlight: 1, queued: 0 });
  });
});
