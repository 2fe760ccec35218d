import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/helpers/server.ts';

/** A stand-in web build: an index.html and the page list the real build writes beside it. */
const INDEX = '<!doctype html><html><body><div id="root"></div><script src="/assets/app.js"></script></body></html>';
let dist: string;
let server: TestServer;

beforeAll(async () => {
  dist = mkdtempSync(path.join(tmpdir(), 'bastion-web-dist-'));
  writeFileSync(path.join(dist, 'index.html'), INDEX);
  writeFileSync(path.join(dist, 'routes.json'), JSON.stringify(['/', '/sign-in', '/account/sessions']));
  server = await startTestServer({ WEB_DIST_DIR: dist });
});

afterAll(async () => {
  await server?.close();
  rmSync(dist, { recursive: true, force: true });
});

const page = (pathname: string) => fetch(`${server.url}${pathname}`, { headers: { accept: 'text/html' } });

describe('the web app served by the API server', () => {
  it('answers each page of the app with the app and 200', async () => {
    for (const pathname of ['/', '/sign-in', '/account/sessions', '/sign-in?next=%2Fcontacts']) {
      const response = await page(pathname);
      expect(response.status, pathname).toBe(200);
      expect(await response.text()).toBe(INDEX);
    }
  });

  it('answers any other path with the app (its not-found page) and a real 404, not a soft 200', async () => {
    for (const pathname of ['/no-such-page', '/account/sessions/extra', '/sign-in/']) {
      const response = await page(pathname);
      expect(response.status, pathname).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toBe(INDEX);
    }
  });

  it('keeps the JSON 404 for clients that do not ask for HTML, and for API paths', async () => {
    const json = await fetch(`${server.url}/no-such-page`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: { data: { reason: 'not_found' } } });
    expect((await page('/api/v1/nothing-here')).status).toBe(404);
  });
});
