import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The key the tests configure; the log scan fails if it ever appears in a server's logs. */
export const TEST_AI_API_KEY = 'sk-bastion-test-0123456789abcdef';
/** Sent in every upstream error body; must never reach a client or a log. */
export const UPSTREAM_SECRET = 'upstream-secret-body-do-not-leak';

/**
 * A real OpenAI-compatible chat-completions server on loopback. The model picks the behaviour:
 * `test/normal` answers (`stream: true` as SSE), `test/slow` answers after 5 s, `test/429` and
 * `test/500` always fail, `test/flaky` fails twice per distinct last message then answers,
 * `test/malformed` returns a broken body, `test/stream-broken` sends a broken stream chunk,
 * `test/stream-slow` sends its first chunk and then nothing for 5 s, `test/stream-paced` pauses
 * 100 ms after its first chunk and then completes.
 */
export interface FakeOpenAi {
  baseUrl: string;
  /** Requests received, by model. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

interface Body {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens: number;
  stream?: boolean;
}

export const FAKE_USAGE = { prompt_tokens: 10, completion_tokens: 5 };

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests = new Map<string, number>();
  const flaky = new Map<string, number>();
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.url !== '/v1/chat/completions' || req.method !== 'POST') return fail(res, 404);
    if (req.headers.authorization !== `Bearer ${TEST_AI_API_KEY}`) return fail(res, 401);
    const body = JSON.parse(raw) as Body;
    requests.set(body.model, (requests.get(body.model) ?? 0) + 1);
    const last = body.messages.at(-1)?.content ?? '';
    const reply = `Echo (${body.messages.length} messages): ${last}`;
    switch (body.model) {
      case 'test/429':
        return fail(res, 429);
      case 'test/500':
        return fail(res, 500);
      case 'test/slow':
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        break;
      case 'test/malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"choices": [ not json');
      case 'test/flaky': {
        const seen = (flaky.get(last) ?? 0) + 1;
        flaky.set(last, seen);
        if (seen <= 2) return fail(res, 503);
        break;
      }
    }
    if (body.stream) return stream(res, reply, body.model);
    // A little latency so that concurrent calls overlap.
    await new Promise((resolve) => setTimeout(resolve, 10));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'cmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }], usage: FAKE_USAGE }));
  }

  function fail(res: ServerResponse, status: number) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `${UPSTREAM_SECRET} ${TEST_AI_API_KEY}`, type: 'server_error' } }));
  }

  async function stream(res: ServerResponse, reply: string, model: string) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (data: unknown) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    for (const [index, piece] of (reply.match(/\S+\s*/g) ?? []).entries()) {
      send({ choices: [{ index: 0, delta: { content: piece } }] });
      if (model === 'test/stream-slow') await new Promise((resolve) => setTimeout(resolve, 5_000));
      if (model === 'test/stream-paced' && index === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (model === 'test/stream-broken') {
      send('{"choices": [ broken');
      return res.end();
    }
    send({ choices: [], usage: FAKE_USAGE });
    send('[DONE]');
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
