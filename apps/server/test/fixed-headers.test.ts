import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { fixedHeaders } from '../src/fixed-headers.ts';

async function headersOf(middleware: RequestHandler): Promise<Record<string, string>> {
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('x-powered-by', 'should go');
    next();
  });
  app.use(middleware);
  app.get('/', (_req, res) => res.send('ok'));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const headers = Object.fromEntries(response.headers);
    delete headers.date;
    delete headers.etag;
    return headers;
  } finally {
    server.close();
  }
}

describe('fixedHeaders', () => {
  it('answers exactly the headers helmet sets (and removes) per request', async () => {
    const options = {
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], upgradeInsecureRequests: [] } },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    };
    const perRequest = await headersOf(helmet(options));
    const recorded = await headersOf(fixedHeaders(helmet(options)));
    expect(recorded).toEqual(perRequest);
    expect(recorded['content-security-policy']).toBe("default-src 'self';img-src 'self' data:;upgrade-insecure-requests");
    expect(recorded['x-powered-by']).toBeUndefined();
    expect(Object.keys(recorded).length).toBeGreaterThan(10);
  });

  it('refuses at start-up a middleware that does not finish at once', () => {
    const later: RequestHandler = (_req, _res, next) => void setTimeout(next, 1);
    expect(() => fixedHeaders(later)).toThrow(/synchronously/);
  });
});
