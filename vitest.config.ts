import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One fast-check seed per test run, recorded by the soak (test/setup/fast-check*.ts).
    globalSetup: ['test/setup/fast-check-seed.ts'],
    setupFiles: ['test/setup/fast-check.ts', 'test/setup/temp-dirs.ts'],
  },
});
