import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Files share one PostgreSQL database and one Redis; tests that flush Redis or kill
    // workers must not overlap with others, so files run one at a time.
    fileParallelism: false,
    globalSetup: ['packages/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { TURBO_TELEMETRY_DISABLED: '1' },
  },
});
