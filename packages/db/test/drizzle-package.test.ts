import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * drizzle-orm ships a 179 KB package.json (447 `exports` entries) that Node 24's ESM loader parses
 * again for each of the ~60 modules it loads: ~60 MB of garbage and +85 MB RSS at start.
 * patches/drizzle-orm@0.45.4.patch rewrites the map with a `./*` pattern (ADR 051).
 */
describe('the drizzle-orm exports patch', () => {
  const manifestUrl = new URL('package.json', import.meta.resolve('drizzle-orm'));

  it('is applied: the manifest is small', () => {
    expect(readFileSync(fileURLToPath(manifestUrl)).byteLength).toBeLessThan(40_000);
  });

  it('resolves the subpaths the project imports to the files the original map named', () => {
    const root = new URL('./', manifestUrl).href;
    const resolved = (specifier: string) => import.meta.resolve(specifier).replace(root, '');
    expect(resolved('drizzle-orm')).toBe('index.js');
    expect(resolved('drizzle-orm/pg-core')).toBe('pg-core/index.js');
    expect(resolved('drizzle-orm/postgres-js')).toBe('postgres-js/index.js');
    expect(resolved('drizzle-orm/postgres-js/migrator')).toBe('postgres-js/migrator.js');
    expect(resolved('drizzle-orm/pg-core/columns/timestamp')).toBe('pg-core/columns/timestamp.js');
  });
});
