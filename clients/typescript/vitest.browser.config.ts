import { defineConfig } from 'vitest/config';

// Real-stack tests: real ingest + fanout (built in ../../target), real MariaDB and NATS,
// the package running in Debian's headless Chromium (/usr/bin/chromium) via playwright-core.
export default defineConfig({
  test: {
    include: ['test-browser/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
