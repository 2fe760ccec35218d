import { defineConfig } from 'vitest/config';

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
  },
});
