/**
 * Figures for the note, printed, never asserted as times: the on-screen latency from a
 * product added on one till to its tile on the other (p50 over 20 tries), and the time from
 * reconnecting to an empty queue after 100 offline sales, and at shop scale the time from a
 * barcode scan to its line in the cart.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { seedHistory } from '../../typescript/test-browser/history.js';
import { addProduct, drained, offline, online, pending, tile, Tills } from './till.js';

let tills: Tills;
let a: Page;
let aContext: BrowserContext;
let b: Page;

beforeAll(async () => {
  tills = await Tills.start();
  ({ page: a, context: aContext } = await tills.open());
  ({ page: b } = await tills.open());
});

afterAll(() => tills?.close());

const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

it('prints the latency from a product added on one till to its tile on the other', async () => {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `Latency ${i}`;
    // B stamps the moment the tile is in its DOM; A stamps the click. One machine, one clock.
    await b.evaluate((n) => {
      const w = window as unknown as { seenAt?: number };
      w.seenAt = undefined;
      const observer = new MutationObserver(() => {
        // The exact name: "Latency 1" priced 1.00 reads "Latency 11.00" as a whole tile.
        if (![...document.querySelectorAll('[data-testid=product] .name')].some((t) => t.textContent === n)) return;
        w.seenAt = Date.now();
        observer.disconnect();
      });
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    }, name);
    await a.getByTestId('new-product-name').fill(name);
    await a.getByTestId('new-product-price').fill('1');
    const clicked = await a.evaluate(() => {
      const at = Date.now();
      document.querySelector<HTMLElement>('[data-testid=add-product]')!.click();
      return at;
    });
    const seen = await b.waitForFunction(() => (window as unknown as { seenAt?: number }).seenAt, null, { timeout: 10_000 });
    times.push((await seen.jsonValue())! - clicked);
  }
  console.log(`web-demo figure: product added on till A → tile on till B: p50 ${pct(times, 50)} ms, max ${Math.max(...times)} ms (20 tries)`);
  expect(times).toHaveLength(20);
});

it('prints the time from reconnecting to an empty queue after 100 offline sales', async () => {
  await addProduct(a, 'Bench water', '0.50');
  await tile(a, 'Bench water').waitFor();
  await drained(a);
  await aContext.setOffline(true);
  await offline(a);
  await a.evaluate(async () => {
    const tileEl = [...document.querySelectorAll<HTMLElement>('[data-testid=product]')].find((t) => t.textContent?.includes('Bench water'))!;
    const checkout = document.querySelector<HTMLButtonElement>('[data-testid=checkout]')!;
    for (let i = 0; i < 100; i++) {
      tileEl.click();
      checkout.click();
      while (!document.querySelector('.lines .muted')) await new Promise((r) => setTimeout(r, 5));
    }
  });
  const queued = await pending(a);
  expect(queued).toBeGreaterThanOrEqual(300);
  const started = Date.now();
  await aContext.setOffline(false);
  await drained(a, 120_000);
  const took = Date.now() - started;
  await online(a);
  console.log(`web-demo figure: 100 offline sales (${queued} queued edits) → empty queue ${took} ms after reconnecting`);
  await expect.poll(() => b.locator('[data-testid=stock]').count()).toBeGreaterThan(20);
  await expect.poll(async () => Number(await tile(b, 'Bench water').getByTestId('stock').textContent()), { timeout: 20_000 }).toBe(0);
});

it('prints, at shop scale (20,000 products and 100,000 past invoices on the till), the time from a scan to its line in the cart', async () => {
  // Written in SQL (the client's next change positions), then a fresh till syncs them all.
  const seeded =
    seedHistory(tills.stack, { branches: [1], prefix: 'shop', rows: 20_000, table: 'products' }) +
    seedHistory(tills.stack, { branches: [1], prefix: 'past', rows: 100_000, table: 'invoices' });
  const { page, context } = await tills.open();
  await expect.poll(() => page.getByTestId('sync-progress').getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
  const figure = await page.evaluate(async () => {
    const longTasks: number[] = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration))).observe({ type: 'longtask' });
    const search = document.querySelector<HTMLInputElement>('[data-testid=search]')!;
    const inCart = () => [...document.querySelectorAll('[data-testid=line-quantity]')].reduce((sum, q) => sum + Number(q.textContent), 0);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const code = `629${String(1 + ((i * 397) % 20_000)).padStart(10, '0')}`;
      const before = inCart();
      const added = new Promise<void>((resolve) => {
        const observer = new MutationObserver(() => {
          if (inCart() > before) (observer.disconnect(), resolve());
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      });
      // A keyboard-wedge scanner: the digits, each an input event, then Enter.
      const started = performance.now();
      search.value = '';
      for (const digit of code) {
        search.value += digit;
        search.dispatchEvent(new Event('input', { bubbles: true }));
      }
      search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      await added;
      times.push(performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, 100));
    return { times, longest: Math.max(0, ...longTasks), lines: document.querySelectorAll('[data-testid=cart-line]').length };
  });
  expect(figure.lines).toBe(50);
  const { times } = figure;
  console.log(
    `web-demo figure: scan (13 digits typed, then Enter) → line in the cart with 20,000 products and 100,000 past invoices held: first ${times[0]!.toFixed(1)} ms, ` +
      `then p50 ${pct(times.slice(1), 50).toFixed(1)} ms, p99 ${pct(times.slice(1), 99).toFixed(1)} ms (50 scans); longest main-thread task ${figure.longest.toFixed(0)} ms; seeding took ${seeded.toFixed(1)} s`,
  );
  await context.close();
}, 300_000);
