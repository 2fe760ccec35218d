import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * Tests that need services a fresh machine does not have: Redis at REDIS_URL (default
 * redis://127.0.0.1:6379) and PostgreSQL at SERVICES_DATABASE_URL. CI's machines run both.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ['**/*.services.test.ts'],
    exclude: ['**/node_modules/**'],
    passWithNoTests: true,
  },
});
