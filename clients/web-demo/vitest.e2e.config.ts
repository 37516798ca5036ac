import { defineConfig } from 'vitest/config';

// The demo (dist/, built first) in Debian's headless Chromium via playwright-core against
// real ingest + fanout (../../target/debug), MariaDB and NATS.
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
