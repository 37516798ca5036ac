import { defineConfig } from 'vitest/config';
import browser from './vitest.browser.config';

// `npm run bench:browser`: the Chromium figures at full size (200 pushes, 100,000 records);
// the normal browser run takes the same file at its short size.
export default defineConfig({
  test: {
    ...browser.test,
    include: ['test-browser/bench.test.ts'],
    env: { POSSYNC_BENCH_PUSHES: '200', POSSYNC_BENCH_RECORDS: '100000' },
  },
});
