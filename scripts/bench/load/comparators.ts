// The comparators of the load benchmark, one per process so its CPU time and RSS can be read like
// the production server's:  node --experimental-strip-types comparators.ts <kind>
// Listens on 127.0.0.1 (an ephemeral port) and prints {"port": N} as its first stdout line.
//   http     node:http answering health.ping's JSON
//   express  bare Express 5 answering the same JSON
//   trpc     bare tRPC 11 on Express 5 (no middleware) with the same health.ping procedure
//   floor    the raw floor of the contacts procedures: node:http + HS256 verify (jsonwebtoken) +
//            the same SQL through postgres.js, pool of DB_POOL_MAX (env: DATABASE_URL, JWT_SECRET,
//            JWT_KID, JWT_ISSUER, JWT_AUDIENCE)
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { initTRPC } from '@trpc/server';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import jwt from 'jsonwebtoken';
import postgres from 'postgres';
import { z } from 'zod';

/** The part of Express 5 used here; Express is the server app's dependency, not the root's. */
interface ExpressApp extends RequestListener {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse & { json(body: unknown): void }) => void): void;
  use(path: string, handler: unknown): void;
  disable(setting: string): void;
}
const express = createRequire(new URL('../../../apps/server/package.json', import.meta.url))('express') as () => ExpressApp;

const ping = () => ({ status: 'ok' as const, time: new Date().toISOString() });
const pingBody = () => JSON.stringify({ result: { data: ping() } });

function send(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function httpComparator(): RequestListener {
  return (req, res) => (req.url === '/trpc/health.ping' ? send(res, 200, pingBody()) : send(res, 404, '{"error":"not found"}'));
}

function expressComparator(): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.get('/trpc/health.ping', (_req, res) => res.json({ result: { data: ping() } }));
  return app;
}

function trpcComparator(): RequestListener {
  const t = initTRPC.create();
  const router = t.router({
    health: t.router({
      ping: t.procedure.output(z.object({ status: z.literal('ok'), time: z.iso.datetime() })).query(ping),
    }),
  });
  const app = express();
  app.disable('x-powered-by');
  app.use('/trpc', createExpressMiddleware({ router }));
  return app;
}

const CONTACT_COLUMNS = `id, name, email, phone, company, tags, notes, created_at, updated_at`;
type ContactRow = { id: string; name: string; email: string | null; phone: string | null; company: string | null; tags: string[]; notes: string | null; created_at: Date; updated_at: Date };
const toDto = (row: ContactRow) => ({
  id: row.id,
  name: row.name,
  email: row.email,
  phone: row.phone,
  company: row.company,
  tags: row.tags,
  notes: row.notes,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

function readBody(req: IncomingMessage, limit = 100 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The least a server must do for the contacts procedures: verify the token, run the SQL, answer JSON. */
function floorComparator(): RequestListener {
  const env = process.env;
  const sql = postgres(env.DATABASE_URL!, {
    max: Number(env.DB_POOL_MAX ?? 10),
    onnotice: () => {},
    connection: { TimeZone: 'UTC' },
  });
  const secret = Buffer.from(env.JWT_SECRET!, 'base64');
  const verifyOptions = { algorithms: ['HS256' as const], issuer: env.JWT_ISSUER ?? 'bastion', audience: env.JWT_AUDIENCE ?? 'bastion-api' };
  const userOf = (req: IncomingMessage): string | null => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match) return null;
    try {
      const claims = jwt.verify(match[1]!, secret, verifyOptions);
      return typeof claims === 'object' && typeof claims.sub === 'string' ? claims.sub : null;
    } catch {
      return null;
    }
  };

  const list = async (owner: string) => {
    const rows = await sql<(ContactRow & { sort_key: string })[]>`
      select ${sql.unsafe(CONTACT_COLUMNS)}, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as sort_key
      from contacts where owner_id = ${owner} order by created_at desc, id desc limit 21`;
    const page = rows.slice(0, 20);
    const last = page.at(-1);
    const nextCursor = rows.length > 20 && last ? Buffer.from(JSON.stringify({ key: last.sort_key, id: last.id })).toString('base64url') : null;
    return { items: page.map(toDto), nextCursor };
  };
  const get = async (owner: string, id: string) => {
    const [row] = await sql<ContactRow[]>`select ${sql.unsafe(CONTACT_COLUMNS)} from contacts where owner_id = ${owner} and id = ${id} limit 1`;
    return row ? toDto(row) : null;
  };
  const create = (owner: string, input: { name: string; company?: string }) =>
    sql.begin(async (tx) => {
      const [row] = await tx<ContactRow[]>`
        insert into contacts (owner_id, name, company) values (${owner}, ${input.name}, ${input.company ?? null})
        returning ${tx.unsafe(CONTACT_COLUMNS)}`;
      const contact = toDto(row!);
      await tx`insert into outbox_events (type, aggregate_id, owner_id, payload)
        values ('contact.created', ${contact.id}, ${owner}, ${tx.json({ contact })})`;
      return contact;
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const owner = userOf(req);
    if (!owner) return send(res, 401, '{"error":{"message":"Sign in to continue."}}');
    if (req.method === 'GET' && url.pathname === '/trpc/contacts.list') {
      return send(res, 200, JSON.stringify({ result: { data: await list(owner) } }));
    }
    if (req.method === 'GET' && url.pathname === '/trpc/contacts.get') {
      const input = JSON.parse(url.searchParams.get('input') ?? '{}') as { id?: string };
      const contact = input.id ? await get(owner, input.id) : null;
      return contact ? send(res, 200, JSON.stringify({ result: { data: contact } })) : send(res, 404, '{"error":{"message":"not found"}}');
    }
    if (req.method === 'POST' && url.pathname === '/trpc/contacts.create') {
      const input = JSON.parse(await readBody(req)) as { name: string; company?: string };
      return send(res, 200, JSON.stringify({ result: { data: await create(owner, input) } }));
    }
    send(res, 404, '{"error":{"message":"not found"}}');
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error(error);
      send(res, 500, '{"error":{"message":"internal"}}');
    });
  };
}

const KINDS: Record<string, () => RequestListener> = { http: httpComparator, express: expressComparator, trpc: trpcComparator, floor: floorComparator };
const kind = process.argv[2] ?? '';
const make = KINDS[kind];
if (!make) {
  console.error(`unknown comparator "${kind}"; choose from ${Object.keys(KINDS).join(', ')}`);
  process.exit(2);
}
const server: Server = createServer(make());
// The production server's timeouts, so held-open connections are treated alike.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.once('SIGTERM', () => process.exit(0));
