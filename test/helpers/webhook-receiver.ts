import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body as received. */
  body: string;
  receivedAt: number;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A webhook receiver on loopback (node:http): records every request, answers with `reply`
 * (200 by default), and checks signatures with the reference implementation (`standardwebhooks`).
 */
export async function startReceiver(options: { portRange?: [number, number] } = {}) {
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<ServerResponse>();
  let reply: (request: ReceivedWebhook, index: number) => Reply = () => ({ status: 200, body: 'ok' });
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() };
      received.push(request);
      for (const wake of waiters.splice(0)) wake();
      const answer = reply(request, received.length - 1);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    });
  });
  if (options.portRange) {
    // A port the SSRF guard's port rule accepts (8000–9999): try random ones until one is free.
    const [low, high] = options.portRange;
    for (let tries = 0; ; tries++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      const listened = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (listened) break;
      if (tries > 50) throw new Error('no free port in range');
    }
  } else await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    setReply(next: typeof reply) {
      reply = next;
    },
    /** How many requests are being held open ('hang') right now. */
    holding: () => hanging.size,
    /** Answers every held request with 200. */
    release() {
      for (const res of hanging) res.writeHead(200).end('released');
      hanging.clear();
    },
    /** Waits until `predicate` holds over what was received (polling on each arrival, 60 s at most). */
    async waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met; ${received.length} requests received`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** The event a request carries, after the reference implementation verified it with `secret`. */
export function verifiedWith(secret: string, request: ReceivedWebhook): { type: string; timestamp: string; data: Record<string, unknown> } {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(request.body, headers) as { type: string; timestamp: string; data: Record<string, unknown> };
}

export const webhookIdOf = (request: ReceivedWebhook) => String(request.headers['webhook-id']);
