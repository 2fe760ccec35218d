import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startTestServer, STRONG_PASSWORD, type TestServer } from '../../../test/helpers/server.ts';
import { signUp } from '../../../test/helpers/users.ts';

let server: TestServer;
const ALL_SCOPES = ['contacts:read', 'contacts:write', 'preferences:read', 'preferences:write', 'assistant:use'] as const;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { $ref?: string }>;
  'x-required-scopes'?: string[];
  'x-trpc-procedure'?: string;
}
type Document = {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }>; responses: Record<string, { headers?: Record<string, unknown> }> };
};

async function rest(path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** The tRPC transport's answer to the same call, raw (GET for queries, POST for mutations). */
async function trpc(path: string, input: unknown, token: string, kind: 'query' | 'mutation') {
  if (kind === 'mutation') return post(server, path, input, { authorization: `Bearer ${token}` });
  const response = await fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
}

async function verifiedUserWithKey() {
  const user = await signUp(server);
  await server.deps.sql`update users set email_verified_at = now() where id = ${user.id}`;
  const key = await user.client.apiKeys.create.mutate({ name: 'rest', scopes: [...ALL_SCOPES] });
  return { ...user, key: key.key };
}

async function documentOf(): Promise<Document> {
  const response = await fetch(`${server.url}/api/openapi.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as Document;
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const document = await documentOf();
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes both bearer schemes, each operation\'s scopes and the error responses', async () => {
    const document = await documentOf();
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['accessToken', 'apiKey']);
    expect(document.components.responses.TooManyRequests?.headers).toHaveProperty('Retry-After');
    const list = document.paths['/contacts']?.get;
    expect(list?.['x-required-scopes']).toEqual(['contacts:read']);
    expect(list?.security).toEqual([{ accessToken: [] }, { apiKey: ['contacts:read'] }]);
    expect(document.paths['/contacts']?.post?.['x-required-scopes']).toEqual(['contacts:write']);
    expect(document.paths['/preferences']?.patch?.['x-required-scopes']).toEqual(['preferences:write']);
    expect(document.paths['/assistant/chat']?.post?.['x-required-scopes']).toEqual(['assistant:use']);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const codes = Object.keys(operation.responses);
        if (path === '/health') {
          expect(operation.security).toBeUndefined();
          continue;
        }
        expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409', '429']));
        expect(operation['x-required-scopes']?.length, `${method} ${path}`).toBeGreaterThan(0);
      }
    }
  });

  it('serves every operation it lists, to an API key with the scopes', async () => {
    const user = await verifiedUserWithKey();
    const contact = await user.client.contacts.create.mutate({ name: 'Operation target' });
    const spare = await user.client.contacts.create.mutate({ name: 'To delete many' });
    const batch = await user.client.contacts.importMany.mutate({ contacts: [{ name: 'Undone import' }] });
    const requests: Record<string, { path?: string; body?: unknown; query?: string }> = {
      'contacts-list': { query: '?limit=5&search=target&sort=name' },
      'contacts-create': { body: { name: 'Created over REST', tags: ['rest'] } },
      'contacts-get': { path: `/contacts/${contact.id}` },
      'contacts-update': { path: `/contacts/${contact.id}`, body: { company: 'Analytical Engines' } },
      'contacts-importMany': { body: { contacts: [{ name: 'Imported' }, { name: '' }] } },
      'contacts-deleteMany': { body: { ids: [spare.id] } },
      'contacts-previewImport': { body: { contacts: [{ name: 'Previewed only' }] } },
      'contacts-undoImport': { path: `/contacts/import/${batch.importId}/undo`, body: {} },
      'contacts-tagMany': { body: { ids: [contact.id], add: ['rest'] } },
      'contacts-history': { path: `/contacts/${contact.id}/history`, query: '?limit=5' },
      'preferences-get': {},
      'preferences-update': { body: { theme: 'dark' } },
      'assistant-chat': { body: { model: 'local/echo-1', messages: [{ role: 'user', content: 'hello' }] } },
      'assistant-models': {},
      'assistant-usage': {},
      'health-ping': {},
    };
    const document = await documentOf();
    const answered: string[] = [];
    // DELETE last: it removes the contact the others use.
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));
    operations.sort((x, y) => Number(x.method === 'delete') - Number(y.method === 'delete'));
    for (const { path, method, operation } of operations) {
      const request = method === 'delete' ? { path: `/contacts/${contact.id}` } : requests[operation.operationId];
      expect(request, `no sample request for ${operation.operationId}`).toBeDefined();
      const response = await rest(`${request?.path ?? path}${request?.query ?? ''}`, { method: method.toUpperCase(), token: user.key, body: request?.body });
      expect(response.status, `${method} ${path}: ${response.text}`).toBe(200);
      answered.push(operation.operationId);
    }
    expect(answered.length).toBe(17);
    expect((await user.client.contacts.list.query({})).items.map((item) => item.name).sort()).toEqual(['Created over REST', 'Imported']);
  });
});

describe('REST under /api/v1', () => {
  it('returns the same data as tRPC for the same call', async () => {
    const user = await verifiedUserWithKey();
    for (const name of ['Charlie', 'alice', 'Bob']) await user.client.contacts.create.mutate({ name, tags: ['team'] });
    const input = { limit: 2, sort: 'name', tag: 'team' };
    const viaTrpc = await trpc('contacts.list', input, user.key, 'query');
    const viaRest = await rest('/contacts?limit=2&sort=name&tag=team', { token: user.key });
    expect(viaRest.json).toEqual((viaTrpc.json as { result: { data: unknown } }).result.data);
    expect((viaRest.json as { items: unknown[] }).items).toHaveLength(2);
    // A boolean in the query string: counted with includeTotal=true, not with false.
    expect((await rest('/contacts?limit=2&tag=team&includeTotal=true', { token: user.key })).json).toMatchObject({ total: 3 });
    expect((await rest('/contacts?limit=2&tag=team&includeTotal=false', { token: user.key })).json).toMatchObject({ total: null });

    const first = (viaRest.json as { items: { id: string }[] }).items[0]!;
    const getTrpc = await trpc('contacts.get', { id: first.id }, user.key, 'query');
    expect((await rest(`/contacts/${first.id}`, { token: user.key })).json).toEqual((getTrpc.json as { result: { data: unknown } }).result.data);
    const prefsTrpc = await trpc('preferences.get', {}, user.accessToken, 'query');
    expect((await rest('/preferences', { token: user.accessToken })).json).toEqual((prefsTrpc.json as { result: { data: unknown } }).result.data);
  });

  it('answers validation errors in the same shape as tRPC', async () => {
    const user = await verifiedUserWithKey();
    const input = { name: '', email: 'not-an-email', tags: ['x'.repeat(200)] };
    const viaTrpc = await trpc('contacts.create', input, user.key, 'mutation');
    const viaRest = await rest('/contacts', { method: 'POST', token: user.key, body: input });
    expect(viaRest.status).toBe(400);
    expect(viaTrpc.status).toBe(400);
    const strip = (body: unknown) => {
      const { error } = body as { error: { message: string; code: number; data: Record<string, unknown> } };
      expect(error.data.requestId).toEqual(expect.any(String));
      expect(error.data).not.toHaveProperty('stack');
      const { requestId: _requestId, ...data } = error.data;
      return { ...error, data };
    };
    expect(strip(viaRest.json)).toEqual(strip(viaTrpc.json));
    expect(strip(viaRest.json)).toMatchObject({ data: { code: 'BAD_REQUEST', reason: 'validation_failed', fieldErrors: { name: [expect.any(String)], email: [expect.any(String)] } } });
    // A bad query parameter too.
    const badQuery = await rest('/contacts?limit=1000', { token: user.key });
    expect(badQuery.status).toBe(400);
    expect(badQuery.json).toMatchObject({ error: { data: { reason: 'validation_failed', fieldErrors: { limit: [expect.any(String)] } } } });
  });

  it('enforces scopes: a read-only key cannot write, and no key can reach what declares none', async () => {
    const user = await signUp(server);
    const reader = await user.client.apiKeys.create.mutate({ name: 'reader', scopes: ['contacts:read'] });
    expect((await rest('/contacts', { token: reader.key })).status).toBe(200);
    const refused = await rest('/contacts', { method: 'POST', token: reader.key, body: { name: 'Nope' } });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { message: expect.any(String), data: { code: 'FORBIDDEN', reason: 'insufficient_scope', requestId: refused.headers.get('x-request-id') } } });
    expect((await rest('/preferences', { token: reader.key })).json).toMatchObject({ error: { data: { reason: 'insufficient_scope' } } });
    await user.client.apiKeys.revoke.mutate({ id: reader.id });
    expect(await rest('/contacts', { token: reader.key })).toMatchObject({ status: 401, json: { error: { data: { code: 'UNAUTHORIZED', reason: 'api_key_revoked' } } } });
  });

  it('accepts bearer credentials only: a cookie-only mutation is 401', async () => {
    const user = await signUp(server);
    const login = await post(server, 'auth.login', { email: user.email, password: STRONG_PASSWORD });
    const cookie = login.headers
      .getSetCookie()
      .map((value) => value.split(';')[0])
      .join('; ');
    expect(cookie).toContain('bastion_at=');
    const headers = { cookie, origin: server.url };
    const mutation = await rest('/contacts', { method: 'POST', body: { name: 'CSRF' }, headers });
    expect(mutation.status).toBe(401);
    expect(mutation.json).toMatchObject({ error: { data: { code: 'UNAUTHORIZED', reason: 'unauthenticated' } } });
    expect((await rest('/contacts', { headers })).status).toBe(401);
    expect((await user.client.contacts.list.query({})).items).toEqual([]);
    // The access token itself, as a bearer, works.
    expect((await rest('/contacts', { method: 'POST', token: user.accessToken, body: { name: 'Bearer' } })).status).toBe(200);
  });

  it('answers 404 for another user\'s contact and for unknown paths, 409 for a duplicate, in the one error shape without stack', async () => {
    const owner = await verifiedUserWithKey();
    const other = await verifiedUserWithKey();
    const contact = await owner.client.contacts.create.mutate({ name: 'Private', email: 'private@example.com' });
    const foreign = await rest(`/contacts/${contact.id}`, { token: other.key });
    expect(foreign.status).toBe(404);
    expect(foreign.json).toMatchObject({ error: { data: { code: 'NOT_FOUND', requestId: expect.any(String) } } });
    const unknown = await rest('/nothing/here', { token: other.key });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { data: { code: 'NOT_FOUND', requestId: expect.any(String) } } });
    const duplicate = await rest('/contacts', { method: 'POST', token: owner.key, body: { name: 'Again', email: 'private@example.com' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json).toMatchObject({ error: { data: { code: 'CONFLICT' } } });
    const unsupported = await fetch(`${server.url}/api/v1/contacts`, { method: 'POST', headers: { authorization: `Bearer ${owner.key}`, 'content-type': 'text/plain' }, body: 'name=x' });
    expect(unsupported.status).toBe(415);
    for (const body of [foreign.text, unknown.text, duplicate.text, await unsupported.text()]) {
      expect(body).not.toMatch(/stack|at .*\.ts:|select |insert into|contacts_owner_email_key/i);
    }
  });

  it('health answers without credentials', async () => {
    expect(await rest('/health')).toMatchObject({ status: 200, json: { status: 'ok' } });
  });
});

describe('the same rate limits as tRPC', () => {
  let limited: TestServer;

  beforeAll(async () => {
    limited = await startTestServer({ RATE_LIMITS: '*=100000/60,apikey.default=3/60' });
  });

  afterAll(async () => {
    await limited?.close();
  });

  it('counts REST and tRPC calls of one key together and answers 429 with Retry-After', async () => {
    const user = await signUp(limited);
    const key = await user.client.apiKeys.create.mutate({ name: 'limited', scopes: ['contacts:read'] });
    await limited.client({ accessToken: key.key }).contacts.list.query({});
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await fetch(`${limited.url}/api/v1/contacts`, { headers: { authorization: `Bearer ${key.key}` } });
      statuses.push(last.status);
      if (i < 2) await last.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last?.json()).toMatchObject({ error: { data: { code: 'TOO_MANY_REQUESTS', reason: 'rate_limited' } } });
  });
});

describe('GET /api/docs', () => {
  it('is Swagger UI served from the app itself, with no inline script, under the CSP', async () => {
    const response = await fetch(`${server.url}/api/docs`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await response.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(body?.trim(), 'inline script').toBe('');
      expect(attributes).toMatch(/src="\/api\/docs\//);
    }
    expect(html).not.toMatch(/style="|<style|https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!).filter((href) => href.startsWith('/api/'));
    for (const asset of assets) expect((await fetch(`${server.url}${asset}`)).status, asset).toBe(200);
    const initializer = await (await fetch(`${server.url}/api/docs/init.js`)).text();
    expect(initializer).toContain('validatorUrl: null');
    expect(initializer).toContain("url: '/api/openapi.json'");
    // Only the files the page needs: not swagger-ui-dist's own index or petstore initializer.
    expect((await fetch(`${server.url}/api/docs/assets/swagger-initializer.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/docs/assets/index.html`)).status).toBe(404);
  });
});
