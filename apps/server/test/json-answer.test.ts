import { initTRPC, TRPCError } from '@trpc/server';
import { resolveResponse } from '@trpc/server/http';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JSONAnswer, type JSONAnswerOption } from '../src/trpc-handler.ts';

// Our patch of tRPC's resolveResponse (patches/@trpc__server@11.19.0.patch): with `jsonAnswer`, a
// JSON answer is handed over as its body string; without it, everything is a Fetch Response as
// before. If a tRPC upgrade drops or breaks the patch, these fail.
// No stacks in error bodies, as in production: the two answers are then byte for byte comparable.
const t = initTRPC.create({ isDev: false });
const router = t.router({
  echo: t.procedure.input(z.object({ text: z.string() })).query(({ input }) => ({ text: input.text })),
  refuse: t.procedure.query(() => {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'no' });
  }),
});

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

async function resolve(path: string, query: string, options: { lean: boolean; headers?: Record<string, string> }) {
  const seen: { body: string; status: number }[] = [];
  const jsonAnswer: JSONAnswerOption['jsonAnswer'] = (body, status, headers) => {
    seen.push({ body, status });
    return new JSONAnswer(body, status, headers);
  };
  const req = new Request(`http://localhost/${path}?${query}`, { headers: options.headers ?? {} });
  const resolveOptions = { router, req, path, error: null, createContext: async () => ({}), ...(options.lean ? { jsonAnswer } : {}) };
  const answer: Response | JSONAnswer = await resolveResponse(resolveOptions);
  return { answer, seen };
}

/** The same call answered by the stock Response: status and body text. */
async function stock(path: string, query: string) {
  const { answer } = await resolve(path, query, { lean: false });
  if (answer instanceof JSONAnswer) throw new Error('a JSONAnswer without asking for one');
  return { status: answer.status, body: await answer.text(), contentType: answer.headers.get('content-type') };
}

describe('resolveResponse with jsonAnswer (patched tRPC)', () => {
  it.each([
    ['a query', 'echo', `input=${input({ text: 'hi' })}`, 200],
    ['a batch', 'echo,echo', `batch=1&input=${input({ 0: { text: 'a' }, 1: { text: 'b' } })}`, 200],
    ['a refusal', 'refuse', '', 403],
    ['bad input', 'echo', `input=${input({ text: 1 })}`, 400],
    ['an unknown procedure', 'nope', '', 404],
  ])('hands %s over as its JSON body, identical to the stock Response', async (_what, path, query, status) => {
    const { answer, seen } = await resolve(path, query, { lean: true });
    if (!(answer instanceof JSONAnswer)) throw new Error('expected a JSONAnswer');
    const lean = answer;
    const expected = await stock(path, query);
    expect(seen).toHaveLength(1);
    expect(lean.status).toBe(status);
    expect(expected.status).toBe(status);
    expect(lean.body).toBe(expected.body);
    expect(lean.headers.get('content-type')).toBe(expected.contentType);
    expect(lean.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('still streams a streamed batch as a Response', async () => {
    const { answer, seen } = await resolve('echo', `batch=1&input=${input({ 0: { text: 'c' } })}`, { lean: true, headers: { 'trpc-accept': 'application/jsonl' } });
    expect(seen).toEqual([]);
    expect(answer).toBeInstanceOf(Response);
    expect(await (answer as Response).text()).toContain('"text":"c"');
  });
});
