/**
 * The client's figures in Chromium (no timed asserts: it prints them). The normal browser run
 * takes the short version (20 pushes, 5,000 records); `npm run bench:browser` the full one,
 * with a fresh till's first sync of 100,000 records in a client of 310,000 first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchSizes, percentile, pushToOtherPage, seedRecords, stampPushes, timedSync } from './bench.js';
import { describeFigure, everyCopy, observeLongTasks, serverRecords, tillRecords, timedFirstSync } from './first-sync.js';
import { seedHistory } from './history.js';
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
  // First, while the client holds nothing but this history.
  it.runIf(sizes.shopOther > 0)(
    `a fresh till's first sync in a shop's client (${sizes.shopOther.toLocaleString('en')} rows of another branch, ${sizes.shopOwn.toLocaleString('en')} of its own)`,
    async () => {
      const seeded = seedHistory(tills.stack, { branches: [2], prefix: 'far', rows: sizes.shopOther }) + seedHistory(tills.stack, { branches: [1], prefix: 'own', rows: sizes.shopOwn });
      const expected = serverRecords(tills.stack, 1);
      const page = await till('bench-shop', { init: observeLongTasks });

      const figure = await timedFirstSync(page, TIMEOUT);

      expect(figure.progress).toEqual({ catchingUp: false, pulled: expected.length, firstSyncDone: true });
      expect(await tillRecords(page)).toEqual(expected);
      console.log(`[bench] ${describeFigure('shop scale', expected.length, figure, sizes.shopOther + sizes.shopOwn)}; seeding the history in SQL took ${seeded.toFixed(1)} s`);
      // Reads of what the first sync stored: in a new tab (its first read learns where each
      // record is), then one record at a time.
      const ids = expected.filter((_, i) => i % Math.ceil(expected.length / 200) === 0).map(([table, id]) => [table, id]);
      const tab = await till('bench-shop', { context: page.context() }); // the same till's database
      const reads: number[] = await tab.evaluate(async (ids) => {
        const engine = (window as any).engine;
        const times: number[] = [];
        for (const [table, id] of ids) {
          const started = performance.now();
          if (!(await engine.get(table, id))) throw new Error(`${table} ${id} not held`);
          times.push(performance.now() - started);
        }
        return times;
      }, ids);
      console.log(`[bench] reads of single records after it, in a new tab: first ${ms(reads[0]!)}, then p50 ${ms(percentile(reads.slice(1), 50))}, p99 ${ms(percentile(reads.slice(1), 99))} (${reads.length - 1} reads)`);
      await page.context().close();
    },
    TIMEOUT,
  );

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
    const before = (await page.evaluate(everyCopy)).length;
    const seeded = await seedRecords(tills.stack, sizes.records);

    const { seconds, pulled, stored } = await timedSync(page);

    // At least the seeded records (a late push of the test above may come with them).
    expect(pulled).toBeGreaterThanOrEqual(sizes.records);
    expect(stored).toBeGreaterThanOrEqual(before + sizes.records);
    console.log(
      `[bench] pull + store ${sizes.records.toLocaleString('en')} records in IndexedDB: ${seconds.toFixed(2)} s ` +
        `(${Math.round(sizes.records / seconds).toLocaleString('en')} records/s, ${pulled} changes in catch-up pages); seeding them through the API took ${seeded.toFixed(1)} s`,
    );
  }, TIMEOUT);

  it(`local queries at shop scale (${sizes.queryRecords.toLocaleString('en')} products and ${sizes.queryRecords.toLocaleString('en')} invoices, packed by a first sync)`, async () => {
    const n = sizes.queryRecords;
    const seeded =
      seedHistory(tills.stack, { branches: [1], prefix: 'qp', rows: n, table: 'products' }) +
      seedHistory(tills.stack, { branches: [1], prefix: 'qi', rows: n, table: 'invoices' });
    const page = await till('bench-query', { engine: { tables: ['products', 'invoices'] } });
    const sync = await timedFirstSync(page, TIMEOUT);
    const figures = await page.evaluate(async (n) => {
      const engine = (window as any).engine;
      const products = engine.table('products');
      const invoices = engine.table('invoices');
      const time = async (runs: number, query: (i: number) => Promise<unknown>) => {
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
          const started = performance.now();
          await query(i);
          times.push(performance.now() - started);
        }
        return times;
      };
      const barcode = (i: number) => `629${String(1 + ((i * 7919) % n)).padStart(10, '0')}`;
      const lookups = await time(200, async (i) => {
        const found = await products.where('barcode').equals(barcode(i)).first();
        if (found?.record_id !== `qp-${1 + ((i * 7919) % n)}`) throw new Error(`barcode ${barcode(i)}: ${found?.record_id}`);
      });
      let last: string[] = [];
      const lastSales = await time(100, async () => {
        last = (await invoices.orderBy('created_at').reverse().limit(10).toArray()).map((r: any) => r.record_id);
      });
      const prefixes = await time(100, async (i) => {
        const found = await products.where('name').startsWith(`item ${1 + ((i * 31) % 999)}`).limit(20).toArray();
        if (found.length === 0) throw new Error('no product by name');
      });
      return { lookups, lastSales, prefixes, last, held: (await engine.db.packs.count()) as number };
    }, n);
    expect(figures.last).toEqual(Array.from({ length: 10 }, (_, i) => `qi-${n - i}`));
    const p = (times: number[]) => `first ${ms(times[0]!)}, then p50 ${ms(percentile(times.slice(1), 50))}, p99 ${ms(percentile(times.slice(1), 99))}`;
    console.log(
      `[bench] local queries, ${n.toLocaleString('en')} products + ${n.toLocaleString('en')} invoices packed by a first sync of ${sync.seconds.toFixed(2)} s ` +
        `(${figures.held} packs; seeding took ${seeded.toFixed(1)} s): barcode lookup ${p(figures.lookups)}; ` +
        `last 10 sales ${p(figures.lastSales)}; name prefix, 20 results ${p(figures.prefixes)}`,
    );
  }, TIMEOUT);
});
