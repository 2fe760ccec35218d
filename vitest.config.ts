import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Raised (never lowered) by `pnpm check:coverage --raise` after a run with --coverage; see docs/operations.md.
const floor = JSON.parse(readFileSync(new URL('./.ci/coverage-floor.json', import.meta.url), 'utf8')) as Record<'statements' | 'branches' | 'functions' | 'lines', number>;

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/server/test/**/*.test.ts', 'apps/example-service/test/**/*.test.ts', 'apps/web/src/**/*.test.ts', 'scripts/**/*.test.ts'],
    // *.services.test.ts need Redis or the system PostgreSQL: `pnpm test:services`, run in CI.
    exclude: ['**/node_modules/**', '**/*.services.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // No test may be skipped or focused in CI.
    allowOnly: false,
    passWithNoTests: false,
    // `pnpm test --coverage` (CI): V8 coverage of the server code, failing below the floor.
    // Every file under `include` counts, tested or not, so a run of a subset measures less.
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'apps/server/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.d.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      thresholds: floor,
    },
  },
});
