import { createHash } from 'node:crypto';
import { OAuth2Server } from 'oauth2-mock-server';
import { expect } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';

export const CLIENT_ID = 'bastion-test-client';
export const CLIENT_SECRET = 'bastion-test-client-secret';

export interface MockIssuer {
  server: OAuth2Server;
  url: string;
  /** What the next ID tokens carry; each test sets the identity it signs in as. */
  identity: { sub: string; email?: string; email_verified?: boolean; name?: string };
  /** Applied to the next ID token only (a bad nonce, audience, issuer, expiry). */
  tamperIdToken: ((payload: Record<string, unknown>) => void) | null;
  /** Every token endpoint request body, and every token it answered with. */
  tokenRequests: Record<string, unknown>[];
  issuedTokens: string[];
  close(): Promise<void>;
}

/** oauth2-mock-server on loopback, with the identity and tampering hooks the tests steer. */
export async function startMockIssuer(): Promise<MockIssuer> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const url = server.issuer.url!;
  const mock: MockIssuer = {
    server,
    url,
    identity: { sub: 'nobody' },
    tamperIdToken: null,
    tokenRequests: [],
    issuedTokens: [],
    close: () => server.stop(),
  };
  server.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    // The ID token is the one addressed to our client; the access token has no audience here.
    if (token.payload.aud !== CLIENT_ID) return;
    Object.assign(token.payload, mock.identity);
    if (mock.tamperIdToken) {
      mock.tamperIdToken(token.payload);
      mock.tamperIdToken = null;
    }
  });
  server.service.on('beforeResponse', (response: { body: Record<string, unknown> }, req: { body: Record<string, unknown> }) => {
    mock.tokenRequests.push({ ...req.body });
    for (const key of ['access_token', 'refresh_token', 'id_token']) if (typeof response.body[key] === 'string') mock.issuedTokens.push(response.body[key] as string);
  });
  return mock;
}

export const oidcEnv = (mock: MockIssuer) => ({ GOOGLE_ISSUER: mock.url, GOOGLE_CLIENT_ID: CLIENT_ID, GOOGLE_CLIENT_SECRET: CLIENT_SECRET });

/**
 * A mock issuer and a test server signing in with it. `close` stops both and checks that no token
 * the issuer handed out reached the server's logs.
 */
export async function startOidcTestServer(env: Record<string, string> = {}): Promise<{ server: TestServer; mock: MockIssuer; close: () => Promise<void> }> {
  const mock = await startMockIssuer();
  const server = await startTestServer({ ...oidcEnv(mock), ...env });
  return {
    server,
    mock,
    close: async () => {
      await server.close();
      await mock.close();
      for (const token of mock.issuedTokens) expect(server.logs.join('')).not.toContain(token);
    },
  };
}

/** `name=value` pairs of a response's Set-Cookie headers. */
export function setCookies(response: Response): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const index = pair!.indexOf('=');
    cookies.set(pair!.slice(0, index), pair!.slice(index + 1));
  }
  return cookies;
}

export interface Started {
  authorizationUrl: URL;
  stateCookie: string;
}

/** `auth.oauth.start` as the web app calls it; the answer and the state cookie it set. */
export async function startFlow(server: TestServer, input: Record<string, unknown> = { provider: 'google' }, headers: Record<string, string> = {}): Promise<Started> {
  const response = await fetch(`${server.url}/trpc/auth.oauth.start`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(input) });
  const body = (await response.json()) as { result?: { data: { authorizationUrl: string } } };
  if (!body.result) throw new Error(`auth.oauth.start failed: ${JSON.stringify(body)}`);
  const cookie = setCookies(response).get('bastion_oauth');
  if (!cookie) throw new Error('no state cookie');
  return { authorizationUrl: new URL(body.result.data.authorizationUrl), stateCookie: cookie };
}

/** The provider's answer: the callback URL (on the test server) it redirects the browser to. */
export async function authorize(server: TestServer, started: Started): Promise<URL> {
  const response = await fetch(started.authorizationUrl, { redirect: 'manual' });
  const location = new URL(response.headers.get('location')!);
  // The configured origin is http://localhost:0 (PORT=0): the browser would be sent to the real one.
  return new URL(`${location.pathname}${location.search}`, server.url);
}

export interface CallbackResult {
  status: number;
  location: string;
  cookies: Map<string, string>;
}

export async function callback(url: URL, cookie?: string): Promise<CallbackResult> {
  const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie: `bastion_oauth=${cookie}` } : {} });
  return { status: response.status, location: response.headers.get('location') ?? '', cookies: setCookies(response) };
}

/** Start, authorize and come back, in one browser. */
export async function fullFlow(server: TestServer, input?: Record<string, unknown>, headers?: Record<string, string>): Promise<CallbackResult> {
  const started = await startFlow(server, input, headers);
  return callback(await authorize(server, started), started.stateCookie);
}

export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
