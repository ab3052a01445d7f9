import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start SMTP sinks and child processes; two workers fit a 2-core machine.
    maxWorkers: 2,
  },
});
