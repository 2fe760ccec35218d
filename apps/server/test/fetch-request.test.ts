import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { initTRPC } from '@trpc/server';
import { resolveResponse } from '@trpc/server/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toFetchRequest } from '../src/fetch-request.ts';

// Every kind of call tRPC's resolveResponse serves, through the lean request: if a tRPC upgrade
// reads something the object lacks, one of these fails.
const t = initTRPC.create();
const signals: AbortSignal[] = [];
const router = t.router({
  echo: t.procedure.input(z.object({ text: z.string() })).query(({ input, signal }) => {
    if (signal) signals.push(signal);
    return { text: input.text };
  }),
  touch: t.procedure.mutation(() => ({ touched: true })),
  save: t.procedure.input(z.object({ text: z.string() })).mutation(({ input }) => ({ saved: input.text })),
  upload: t.procedure.input(z.instanceof(FormData)).mutation(({ input }) => ({ name: String(input.get('name')) })),
  ticks: t.procedure.subscription(async function* ({ signal }) {
    if (signal) signals.push(signal);
    for (let i = 0; ; i++) {
      yield i;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }),
});

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    // As csrfGuard does: an empty JSON POST (a mutation without input) means `{}`.
    if (req.method === 'POST' && req.headers['content-length'] === '0') Object.assign(req, { body: '{}' });
    const url = new URL(req.url ?? '/', 'http://localhost');
    void resolveResponse({ router, req: toFetchRequest(req, res, 1024), path: url.pathname.slice(1), error: null, createContext: async () => ({}) }).then(async (response) => {
      res.statusCode = response.status;
      response.headers.forEach((value, key) => res.setHeader(key, value));
      if (!response.body) return void res.end();
      Readable.fromWeb(response.body as never).pipe(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

describe('toFetchRequest', () => {
  it('serves a query from the query string and leaves the signal alone once answered', async () => {
    signals.length = 0;
    const response = await fetch(`${base}/echo?input=${input({ text: 'hi' })}`);
    expect(await response.json()).toEqual({ result: { data: { text: 'hi' } } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
  });

  it('serves a batch and reads headers (trpc-accept: a streamed batch)', async () => {
    const plain = await fetch(`${base}/echo,echo?batch=1&input=${input({ 0: { text: 'a' }, 1: { text: 'b' } })}`);
    expect(await plain.json()).toEqual([{ result: { data: { text: 'a' } } }, { result: { data: { text: 'b' } } }]);
    const streamed = await fetch(`${base}/echo?batch=1&input=${input({ 0: { text: 'c' } })}`, { headers: { 'trpc-accept': 'application/jsonl' } });
    expect(streamed.headers.get('content-type')).toMatch(/^application\/json/);
    expect(streamed.headers.get('transfer-encoding')).toBe('chunked');
    expect(await streamed.text()).toContain('"text":"c"');
  });

  it('reads a JSON body, answers 413 over the limit and 400 to malformed JSON', async () => {
    const post = (body: string) => fetch(`${base}/save`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const saved = await post(JSON.stringify({ text: 'kept' }));
    expect(await saved.json()).toEqual({ result: { data: { saved: 'kept' } } });
    expect((await post(JSON.stringify({ text: 'x'.repeat(2000) }))).status).toBe(413);
    expect((await post('{"text":')).status).toBe(400);
    const empty = await fetch(`${base}/touch`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '0' } });
    expect(await empty.json()).toEqual({ result: { data: { touched: true } } });
  });

  it('hands a body that is not JSON (multipart) to the stock Request', async () => {
    const form = new FormData();
    form.set('name', 'report.txt');
    const response = await fetch(`${base}/upload`, { method: 'POST', body: form });
    expect(await response.json()).toEqual({ result: { data: { name: 'report.txt' } } });
  });

  it('aborts the signal when the client leaves a stream before it ends', async () => {
    signals.length = 0;
    const controller = new AbortController();
    const response = await fetch(`${base}/ticks`, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
    const reader = response.body!.getReader();
    await reader.read();
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(signals[0]!.aborted).toBe(true);
  });
});
