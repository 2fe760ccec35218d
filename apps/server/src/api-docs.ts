import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { openApiDocument } from '@bastion/api';

const DOCS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'docs');
/** swagger-ui-dist's files (its own index.html and petstore initializer are never served). */
const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-bundle.js.map', 'swagger-ui.css.map']);

/**
 * `GET /api/openapi.json` (built once per process; server URLs are relative, so one document fits
 * every host name) and `GET /api/docs`: Swagger UI served from this app, under its CSP.
 */
export function apiDocsRoutes(): Router {
  const routes = Router();
  let document: string | undefined;
  routes.get('/api/openapi.json', (_req, res) => {
    document ??= JSON.stringify(openApiDocument());
    res.setHeader('cache-control', 'no-cache');
    res.type('application/json').send(document);
  });
  routes.get(['/api/docs', '/api/docs/'], (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(path.join(DOCS_DIR, 'index.html'));
  });
  routes.get(['/api/docs/init.js', '/api/docs/docs.css'], (req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(path.join(DOCS_DIR, path.basename(req.path)));
  });
  const assets = express.static(SWAGGER_DIR, { index: false, maxAge: '1d', fallthrough: false });
  routes.use('/api/docs/assets', (req, res, next) => {
    if (!ASSETS.has(req.path.replace(/^\//, ''))) {
      res.status(404).end();
      return;
    }
    assets(req, res, next);
  });
  return routes;
}
