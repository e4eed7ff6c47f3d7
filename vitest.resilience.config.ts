import { defineConfig } from 'vitest/config';

/** `npm run test:resilience`: chaos and hostile input against real processes; run by CI after `npm test`. */
export default defineConfig({
  test: {
    include: ['resilience/**/*.test.ts'],
    fileParallelism: false,
    globalSetup: ['packages/testing/src/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
