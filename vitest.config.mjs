// vitest.config.mjs — test runner settings: Node environment, one fork per test file, generous
// timeouts for files that compare against PyTorch-Python.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
