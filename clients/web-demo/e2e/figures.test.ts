/**
 * Figures for the note, printed, never asserted as times: the on-screen latency from a
 * product added on one till to its tile on the other (p50 over 20 tries), and the time from
 * reconnecting to an empty queue after 100 offline sales.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
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
