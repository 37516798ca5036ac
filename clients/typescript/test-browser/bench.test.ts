/**
 * The client's figures in Chromium (no timed asserts: it prints them). The normal browser run
 * takes the short version (20 pushes, 5,000 records); `npm run bench:browser` the full one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchSizes, percentile, pushToOtherPage, seedRecords, stampPushes, timedSync } from './bench.js';
import { login, Tills, type TillOptions } from './till.js';

const sizes = benchSizes();
let tills: Tills;

beforeAll(async () => {
  tills = await Tills.start(3600);
});

afterAll(() => tills?.close());

const till = async (deviceId: string, options?: TillOptions) => (await tills.open(deviceId, options)).page;

const ms = (n: number) => `${n.toFixed(1)} ms`;
// Seeding goes through a debug ingest on a shared 2-core machine: slow, and no figure of its own.
const TIMEOUT = 20 * 60_000;

describe('figures in Chromium', () => {
  it(`push on one page → applied in another page's IndexedDB (${sizes.pushes} pushes)`, async () => {
    const a = await till('bench-a', { init: stampPushes });
    const b = await till('bench-b');
    await login(a);
    await login(b);

    const { fromPush, fromWrite } = await pushToOtherPage(a, b, sizes.pushes);
    // Both would otherwise take every seeded record live while the pull below is timed.
    await Promise.all([a.context().close(), b.context().close()]);

    expect(fromPush).toHaveLength(sizes.pushes);
    expect(fromPush.every((t) => t > 0)).toBe(true);
    console.log(
      `[bench] push → other page's IndexedDB, ${sizes.pushes} pushes of one record: ` +
        `p50 ${ms(percentile(fromPush, 50))}, p99 ${ms(percentile(fromPush, 99))}, max ${ms(Math.max(...fromPush))}; ` +
        `from the local write (incl. 50 ms push gathering): p50 ${ms(percentile(fromWrite, 50))}, p99 ${ms(percentile(fromWrite, 99))}`,
    );
  }, TIMEOUT);

  it(`pull and store ${sizes.records.toLocaleString('en')} records in IndexedDB`, async () => {
    const page = await till('bench-pull', { socket: false });
    await login(page);
    await page.waitForFunction(() => (window as any).engine.status.lastSyncAt && !(window as any).engine.status.syncing);
    const before: number = await page.evaluate(() => (window as any).engine.db.records.count());
    const seeded = await seedRecords(tills.stack, sizes.records);

    const { seconds, pulled, stored } = await timedSync(page);

    // At least the seeded records (a late push of the test above may come with them).
    expect(pulled).toBeGreaterThanOrEqual(sizes.records);
    expect(stored).toBeGreaterThanOrEqual(before + sizes.records);
    console.log(
      `[bench] pull + store ${sizes.records.toLocaleString('en')} records in IndexedDB: ${seconds.toFixed(2)} s ` +
        `(${Math.round(sizes.records / seconds).toLocaleString('en')} records/s, ${pulled} changes in pages of 500); seeding them through the API took ${seeded.toFixed(1)} s`,
    );
  }, TIMEOUT);
});
