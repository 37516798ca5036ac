import { defineConfig } from 'vitest/config';
import browser from './vitest.browser.config';

// `npm run bench:browser`: the Chromium figures at full size (200 pushes, 100,000 records,
// a fresh till's first sync of 100,000 records in a client of 310,000, and local queries
// over 100,000 products and 100,000 invoices); the normal
// browser run takes the same file at its short size, without the shop-scale first sync.
/** Sizes set in the environment win (e.g. `POSSYNC_BENCH_SHOP_OTHER=0` leaves the first sync out). */
const given = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('POSSYNC_BENCH_'))) as Record<string, string>;

export default defineConfig({
  test: {
    ...browser.test,
    include: ['test-browser/bench.test.ts'],
    env: {
      POSSYNC_BENCH_PUSHES: '200',
      POSSYNC_BENCH_RECORDS: '100000',
      POSSYNC_BENCH_SHOP_OTHER: '300000',
      POSSYNC_BENCH_SHOP_OWN: '10000',
      POSSYNC_BENCH_QUERY_RECORDS: '100000',
      ...given,
    },
  },
});
