/**
 * The POS web demo in a real headless Chromium against the real ingest, fanout, MariaDB and
 * NATS: two tills (two browser profiles), offline selling, a second tab, a conflict settled
 * from the bar, both tills selling one product offline (stock increments), an offline
 * reload from the service worker, a fresh till's first sync with its progress, and the
 * Arabic page.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { addProduct, adminPush, backOffice, drained, editPrice, offline, online, pending, recordProgress, seedProducts, sell, stock, tile, Tills } from './till.js';

const shots = new URL('../screenshots/', import.meta.url).pathname;
let tills: Tills;
let a: Page;
let aContext: BrowserContext;
let b: Page;
let bContext: BrowserContext;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  tills = await Tills.start();
  ({ page: a, context: aContext } = await tills.open());
  ({ page: b, context: bContext } = await tills.open());
});

afterAll(() => tills?.close());

describe('POS web demo on the real stack', () => {
  it('two tills see each other’s new product within 2 s', async () => {
    await addProduct(a, 'Apple juice', '3.50');
    await tile(b, 'Apple juice').waitFor({ timeout: 2_000 });
    await addProduct(b, 'Zaatar bread', '1.25');
    await tile(a, 'Zaatar bread').waitFor({ timeout: 2_000 });
    await expect.poll(() => tile(b, 'Apple juice').textContent()).toContain('3.50');
    expect(await stock(b, 'Apple juice')).toBe(100);
    await a.screenshot({ path: `${shots}till-en.png` });
  });

  it('a sale made offline reaches the other till after reconnecting', async () => {
    await drained(a);
    const salesOnB = await b.getByTestId('sale').count();
    await aContext.setOffline(true);
    await offline(a);
    await sell(a, 'Apple juice');
    await expect.poll(() => pending(a)).toBeGreaterThan(0);
    await expect.poll(() => stock(a, 'Apple juice')).toBe(99);
    await b.waitForTimeout(300);
    expect(await b.getByTestId('sale').count()).toBe(salesOnB);
    await aContext.setOffline(false);
    await online(a);
    await drained(a);
    await expect.poll(() => b.getByTestId('sale').count(), { timeout: 10_000 }).toBe(salesOnB + 1);
    await expect.poll(() => stock(b, 'Apple juice'), { timeout: 10_000 }).toBe(99);
  });

  it('a second tab of a till shares its data', async () => {
    const { page: a2 } = await tills.open({ context: aContext });
    await tile(a2, 'Zaatar bread').waitFor();
    expect(await a2.getByTestId('sale').count()).toBe(await a.getByTestId('sale').count());
    await addProduct(a2, 'Mint tea', '2.00');
    await tile(a, 'Mint tea').waitFor({ timeout: 5_000 });
    await tile(b, 'Mint tea').waitFor({ timeout: 5_000 });
    await online(a2);
    await a2.close();
  });

  it('an offline price edit against a newer back-office edit is one conflict, and "keep mine" wins on both tills', async () => {
    await drained(a);
    const { items } = await backOffice(tills.stack.ingest, 'GET', '/api/products?page_size=200');
    const product = items.find((r: { data: { name: string } }) => r.data.name === 'Mint tea');
    await aContext.setOffline(true);
    await offline(a);
    await editPrice(a, 'Mint tea', '2.75');
    await backOffice(tills.stack.ingest, 'PUT', `/api/products/${product.record_id}`, { data: { name: 'Mint tea', price: 310 } });
    await expect.poll(() => tile(b, 'Mint tea').textContent(), { timeout: 5_000 }).toContain('3.10');
    await aContext.setOffline(false);
    await online(a);
    await expect.poll(() => a.getByTestId('conflict').count(), { timeout: 15_000 }).toBe(1);
    await a.getByTestId('conflict').getByTestId('keep-mine').click();
    await expect.poll(() => a.getByTestId('conflict').count()).toBe(0);
    await expect.poll(() => tile(a, 'Mint tea').textContent(), { timeout: 5_000 }).toContain('2.75');
    await expect.poll(() => tile(b, 'Mint tea').textContent(), { timeout: 5_000 }).toContain('2.75');
    expect(await b.getByTestId('conflict').count()).toBe(0);
  });

  it('two tills that each sell the same product offline end with the stock down by both sales', async () => {
    await addProduct(a, 'Olive oil', '6.00');
    await tile(b, 'Olive oil').waitFor({ timeout: 5_000 });
    // The product's tile can reach till B before its stock row does.
    const start = await stock(a, 'Olive oil');
    await expect.poll(() => stock(b, 'Olive oil'), { timeout: 5_000 }).toBe(start);
    await drained(a);
    await drained(b);
    for (const [page, context] of [[a, aContext], [b, bContext]] as const) {
      await context.setOffline(true);
      await offline(page);
    }
    await sell(a, 'Olive oil');
    await sell(b, 'Olive oil');
    await expect.poll(async () => [await stock(a, 'Olive oil'), await stock(b, 'Olive oil')]).toEqual([start - 1, start - 1]);
    await aContext.setOffline(false);
    await bContext.setOffline(false);
    await online(a);
    await online(b);
    await expect.poll(() => stock(a, 'Olive oil'), { timeout: 5_000 }).toBe(start - 2);
    await expect.poll(() => stock(b, 'Olive oil'), { timeout: 5_000 }).toBe(start - 2);
    const { items } = await backOffice(tills.stack.ingest, 'GET', '/api/products?page_size=200');
    const product = items.find((r: { data: { name: string } }) => r.data.name === 'Olive oil');
    const server = await backOffice(tills.stack.ingest, 'GET', `/api/product_stock/1.${product.record_id}` /* branch 1's row */);
    expect(server.data.quantity).toBe(start - 2);
    expect(await a.getByTestId('conflict').count()).toBe(0);
    expect(await b.getByTestId('conflict').count()).toBe(0);
  });

  it('a scan puts the product in the cart in one step; lines change; a name is found without its diacritics; stock rows are the branch’s', async () => {
    await addProduct(a, 'حَليب طازج', '1.20', '6281000000123');
    await tile(b, 'حَليب طازج').waitFor({ timeout: 5_000 });
    const start = await stock(b, 'حَليب طازج');
    const search = b.getByTestId('search');
    await search.fill('6281000000123');
    await search.press('Enter');
    await expect.poll(() => b.getByTestId('line-quantity').allTextContents()).toEqual(['1']);
    await search.fill('6281000000123'); // a second scan: the same line, one more
    await search.press('Enter');
    await expect.poll(() => b.getByTestId('line-quantity').allTextContents()).toEqual(['2']);
    expect(await b.getByTestId('cart-total').textContent()).toBe('2.40');
    await b.getByTestId('line-plus').click();
    await b.getByTestId('line-minus').click();
    await b.getByTestId('line-minus').click();
    expect(await b.getByTestId('line-quantity').allTextContents()).toEqual(['1']);
    await search.fill('999');
    await search.press('Enter');
    await expect.poll(() => b.getByTestId('search-notice').textContent()).toContain('999');
    expect(await b.getByTestId('line-quantity').allTextContents()).toEqual(['1']);
    // Typed without its diacritics, in another till.
    await a.getByTestId('search').fill('حليب');
    await tile(a, 'حَليب طازج').waitFor();
    await expect.poll(() => a.getByTestId('product').count()).toBe(1);
    await a.getByTestId('search').fill('');
    await b.getByTestId('checkout').click();
    await expect.poll(() => b.getByTestId('cart-line').count()).toBe(0);
    await expect.poll(() => stock(a, 'حَليب طازج'), { timeout: 10_000 }).toBe(start - 1);
    await drained(b);
    const rows = tills.stack.sql("SELECT s.record_id, JSON_VALUE(s.data, '$.quantity') FROM records s JOIN records p ON p.record_id = JSON_VALUE(s.data, '$.product_id') WHERE s.table_name = 'product_stock' AND p.table_name = 'products' AND JSON_VALUE(p.data, '$.barcode') = '6281000000123'");
    const [id, quantity] = rows.trim().split('\t');
    expect(id).toMatch(/^1\./); // branch 1's row, never the product's own id
    expect(Number(quantity)).toBe(start - 1);
    // Another till's line removed: the cart is empty again.
    await tile(a, 'حَليب طازج').click();
    await a.getByTestId('line-remove').click();
    expect(await a.getByTestId('cart-line').count()).toBe(0);
  });

  it('a shift on two tills: cash with change, card and split payments add up to the expected cash; a receipt prints; closing shows the variance', async () => {
    await a.getByTestId('shift-float').fill('50.00');
    await a.getByTestId('shift-open').click();
    for (const page of [a, b]) {
      await expect.poll(() => page.getByTestId('shift-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('open');
    }
    // Till A: cash, 5.00 handed over for 3.50.
    await tile(a, 'Apple juice').click();
    await a.getByTestId('pay-tendered').fill('5.00');
    await expect.poll(() => a.getByTestId('pay-change').textContent()).toBe('Change 1.50');
    await a.getByTestId('checkout').click();
    await expect.poll(() => a.getByTestId('receipt-total').textContent()).toContain('3.50');
    expect(await a.getByTestId('receipt-change').textContent()).toContain('1.50');
    expect(await a.getByTestId('receipt-line').allTextContents()).toEqual([expect.stringContaining('Apple juice')]);
    // Not enough cash: refused, the cart kept.
    await tile(a, 'Apple juice').click();
    await a.getByTestId('pay-tendered').fill('1.00');
    await a.getByTestId('checkout').click();
    await expect.poll(() => a.getByTestId('checkout-error').textContent()).toContain('not enough cash');
    await a.getByTestId('line-remove').click();
    await a.getByTestId('pay-tendered').fill('');
    // Till B: by card, then 6.00 split into 2.00 by card and 4.00 in cash.
    await tile(b, 'Zaatar bread').click();
    await b.getByTestId('pay-method').selectOption('card');
    await b.getByTestId('checkout').click();
    await expect.poll(() => b.getByTestId('receipt-total').textContent()).toContain('1.25');
    await tile(b, 'Olive oil').click();
    await b.getByTestId('pay-method').selectOption('split');
    await b.getByTestId('pay-card').fill('2.00');
    await b.getByTestId('checkout').click();
    await expect.poll(() => b.getByTestId('cart-line').count()).toBe(0);
    // Both tills agree, and so does the server: 50.00 + 3.50 + 4.00.
    for (const page of [a, b]) {
      await expect.poll(() => page.getByTestId('shift-state').textContent(), { timeout: 10_000 }).toBe('Expected cash: 57.50');
    }
    await drained(a);
    await drained(b);
    expect(tills.stack.sql("SELECT JSON_VALUE(data, '$.expected_cash') FROM records WHERE table_name = 'shifts' AND JSON_VALUE(data, '$.closed_at') IS NULL").trim()).toBe('5750');
    // A recent sale (till B's split, the branch's latest) shows its receipt again; it prints
    // alone on the roll.
    await a.getByTestId('sale').first().click();
    await expect.poll(() => a.getByTestId('receipt-body').textContent()).toMatch(/Total6\.00Cash4\.00Card2\.00$/);
    await a.emulateMedia({ media: 'print' });
    const shown = await a.evaluate(() => ['receipt', 'checkout', 'search'].map((id) => getComputedStyle(document.querySelector(`[data-testid=${id}]`)!).visibility));
    expect(shown).toEqual(['visible', 'hidden', 'hidden']);
    await a.getByTestId('receipt').screenshot({ path: `${shots}receipt-en.png` });
    await a.emulateMedia({ media: 'screen' });
    // Closed on till B with 57.00 counted.
    await b.getByTestId('shift-counted').fill('57.00');
    await b.getByTestId('shift-close').click();
    await expect.poll(() => b.getByTestId('shift-result').textContent()).toBe('Expected cash 57.50 · Counted cash 57.00 · Variance -0.50');
    await expect.poll(() => a.getByTestId('shift-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('closed');
  });

  it('a customer found by phone earns points on two tills; a refund of one line puts the stock back and takes its cash out of the shift', async () => {
    await a.getByTestId('shift-float').fill('10.00');
    await a.getByTestId('shift-open').click();
    await expect.poll(() => b.getByTestId('shift-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('open');
    // A new customer on till A, two bottles of oil: 12 points.
    await a.getByTestId('customer-phone').fill('0501234567');
    await a.getByTestId('customer-phone').press('Enter');
    await a.getByTestId('customer-name').fill('فاطمة');
    await a.getByTestId('customer-add').click();
    await expect.poll(() => a.getByTestId('customer').textContent()).toBe('فاطمة · 0 points');
    await tile(a, 'Olive oil').click();
    await tile(a, 'Olive oil').click();
    await a.getByTestId('checkout').click();
    await expect.poll(() => a.getByTestId('receipt-total').textContent()).toContain('12.00');
    // Till B finds her by phone once her record arrives, and sells her a juice: 3 more.
    await drained(a);
    await expect
      .poll(async () => {
        const phone = b.getByTestId('customer-phone');
        if (await phone.isVisible()) {
          await phone.fill('0501234567');
          await phone.press('Enter');
        }
        return b.getByTestId('customer').textContent();
      }, { timeout: 10_000 })
      .toBe('فاطمة · 12 points');
    await tile(b, 'Apple juice').click();
    await b.getByTestId('checkout').click();
    await expect.poll(() => b.getByTestId('cart-line').count()).toBe(0);
    await drained(b);
    expect(tills.stack.sql("SELECT JSON_VALUE(data, '$.points') FROM records WHERE table_name = 'customers' AND JSON_VALUE(data, '$.phone') = '0501234567'").trim()).toBe('15');
    // One of the two bottles comes back, from the receipt still on till A.
    const oil = await stock(a, 'Olive oil');
    await a.getByTestId('receipt-refund').click();
    await a.getByTestId('refund-qty').fill('1');
    await a.getByTestId('refund-confirm').click();
    await expect.poll(() => a.getByTestId('refund-result').textContent()).toBe('Refunded 6.00');
    await expect.poll(() => stock(a, 'Olive oil')).toBe(oil + 1);
    // 10.00 + 12.00 + 3.50 - 6.00, on both tills and on the server.
    for (const page of [a, b]) {
      await expect.poll(() => page.getByTestId('shift-state').textContent(), { timeout: 10_000 }).toBe('Expected cash: 19.50');
    }
    await drained(a);
    expect(tills.stack.sql("SELECT JSON_VALUE(data, '$.expected_cash') FROM records WHERE table_name = 'shifts' AND JSON_VALUE(data, '$.closed_at') IS NULL").trim()).toBe('1950');
    expect(tills.stack.sql("SELECT JSON_VALUE(data, '$.total') FROM records WHERE table_name = 'sales_returns'").trim()).toBe('600');
    // A bread on her account: what she owes goes up, the drawer does not.
    await a.getByTestId('customer-phone').fill('0501234567');
    await a.getByTestId('customer-phone').press('Enter');
    await tile(a, 'Zaatar bread').click();
    await a.getByTestId('pay-method').selectOption('card');
    await a.getByTestId('pay-other').selectOption('account');
    await a.getByTestId('checkout').click();
    await expect.poll(() => a.getByTestId('receipt-body').textContent()).toMatch(/Total1\.25On account1\.25$/);
    await a.getByTestId('pay-method').selectOption('cash');
    // 5.00 brought into the drawer, 2.00 taken out: 19.50 + 3.00.
    await a.getByTestId('cash-amount').fill('5.00');
    await a.getByTestId('cash-in').click();
    await a.getByTestId('cash-amount').fill('2.00');
    await a.getByTestId('cash-out').click();
    await expect.poll(() => b.getByTestId('shift-state').textContent(), { timeout: 10_000 }).toBe('Expected cash: 22.50');
    await drained(a);
    expect(tills.stack.sql("SELECT JSON_VALUE(data, '$.balance'), JSON_VALUE(data, '$.points') FROM records WHERE table_name = 'customers' AND JSON_VALUE(data, '$.phone') = '0501234567'").trim()).toBe('125\t16');
    await a.getByTestId('shift-counted').fill('22.50');
    await a.getByTestId('shift-close').click();
    await expect.poll(() => a.getByTestId('shift-result').textContent()).toBe('Expected cash 22.50 · Counted cash 22.50 · Variance 0.00');
  });

  it('discounts per line and per sale, and tax as the shop’s settings say (included or added), on the cart, the receipt and the server', async () => {
    const settings = (records: { id: string; key: string; value: unknown; deleted?: boolean }[]) =>
      adminPush(
        tills.stack.ingest,
        records.map((r) => ({ table_name: 'settings', record_id: r.id, data: { key: r.key, value: r.value }, ...(r.deleted ? { is_deleted: true } : {}) })),
      );
    await settings([{ id: 'tax-percent', key: 'tax_percent', value: 15 }]);
    await tile(a, 'Olive oil').click();
    await tile(a, 'Olive oil').click();
    await a.getByTestId('line-discount').fill('1.00');
    await a.getByTestId('line-discount').press('Enter');
    await a.getByTestId('sale-discount').fill('0.50');
    // 12.00 less 1.50, VAT of 15 % inside: 10.50 × 15 / 115 = 1.37.
    await expect.poll(() => a.getByTestId('cart-sums').textContent(), { timeout: 10_000 }).toBe('Subtotal 12.00 · Discount 1.50 · Tax 1.37');
    expect(await a.getByTestId('cart-total').textContent()).toBe('10.50');
    await a.getByTestId('checkout').click();
    await expect.poll(() => a.getByTestId('receipt-tax').textContent()).toContain('1.37');
    expect(await a.getByTestId('receipt-total').textContent()).toContain('10.50');
    await drained(a);
    expect(tills.stack.sql("SELECT JSON_VALUE(data, '$.total'), JSON_VALUE(data, '$.discount'), JSON_VALUE(data, '$.tax') FROM records WHERE table_name = 'invoices' AND JSON_VALUE(data, '$.tax') > 0").trim()).toBe('1050\t150\t137');
    // Tax added to the price: 3.50 + 15 % = 4.03.
    await settings([{ id: 'tax-added', key: 'prices_include_tax', value: false }]);
    await tile(a, 'Apple juice').click();
    await expect.poll(() => a.getByTestId('cart-sums').textContent(), { timeout: 10_000 }).toBe('Subtotal 3.50 · Discount 0.00 · Tax 0.53');
    expect(await a.getByTestId('cart-total').textContent()).toBe('4.03');
    await a.getByTestId('line-remove').click();
    await settings([
      { id: 'tax-percent', key: 'tax_percent', value: 15, deleted: true },
      { id: 'tax-added', key: 'prices_include_tax', value: false, deleted: true },
    ]);
    // The shop's own payment method, from its payment_methods (the settings gone: no tax).
    await adminPush(tills.stack.ingest, [{ table_name: 'payment_methods', record_id: 'mada', data: { name: 'mada' } }]);
    await tile(a, 'Zaatar bread').click();
    await expect.poll(() => a.getByTestId('cart-sums').textContent(), { timeout: 10_000 }).toBe('');
    await a.getByTestId('pay-method').selectOption('card');
    await expect.poll(() => a.getByTestId('pay-other').locator('option').allTextContents(), { timeout: 10_000 }).toEqual(['mada', 'On account']);
    await a.getByTestId('checkout').click();
    await expect.poll(() => a.getByTestId('receipt-body').textContent()).toMatch(/Total1\.25mada1\.25$/);
    await a.getByTestId('pay-method').selectOption('cash');
  });

  it('a change of cashier: another branch’s cashier waits until the last one’s sales are sent, then never sees that branch', async () => {
    const { page: c, context } = await tills.open();
    await expect.poll(() => c.getByTestId('sale').count(), { timeout: 10_000 }).toBeGreaterThan(0); // branch 1's sales
    expect(await c.getByTestId('cashier').textContent()).toBe('cashier1');
    // A sale the server never gets (its pushes fail), then the cashier logs out.
    await context.route('**/api/sync/batch-push', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"database down"}}' }));
    await tile(c, 'Apple juice').click();
    await c.getByTestId('checkout').click();
    await expect.poll(() => pending(c)).toBeGreaterThanOrEqual(4); // invoice, item, stock, cash
    await expect.poll(() => c.getByTestId('sync-error').textContent(), { timeout: 20_000 }).toMatch(/^Sync problem \(sales are kept on this till and sent when it clears\): /);
    await c.getByTestId('logout').click();
    const loginAs = async (user: string) => {
      await c.getByTestId('login-username').fill(user);
      await c.getByTestId('login-password').fill('password');
      await c.getByTestId('login-submit').click();
    };
    await loginAs('cashier2');
    await expect.poll(() => c.getByTestId('login-error').textContent()).toContain('still holds sales not sent');
    // cashier1 again: the sale goes; then cashier2 gets a till holding nothing of branch 1.
    await context.unroute('**/api/sync/batch-push');
    await loginAs('cashier1');
    await drained(c);
    await c.getByTestId('logout').click();
    await loginAs('cashier2');
    await online(c);
    expect(await c.getByTestId('cashier').textContent()).toBe('cashier2');
    await tile(c, 'Apple juice').waitFor(); // the client's catalogue is shared
    expect(await stock(c, 'Apple juice')).toBe(0); // branch 2 holds no stock row of it
    expect(await c.getByTestId('sale').count()).toBe(0);
    expect(await c.evaluate(async () => {
      const dbs = await indexedDB.databases();
      return dbs.length;
    })).toBe(1);
    await context.close();
  });

  it('a reload while offline still shows the products (service worker shell, IndexedDB data)', async () => {
    await a.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await aContext.setOffline(true);
    await offline(a);
    const shell = await a.reload();
    expect(shell?.fromServiceWorker()).toBe(true);
    await tile(a, 'Apple juice').waitFor({ timeout: 10_000 });
    await tile(a, 'Zaatar bread').waitFor();
    expect(await a.getByTestId('connection-state').textContent()).toMatch(/offline|connecting/);
    await aContext.setOffline(false);
    await online(a);
  });

  it('the Arabic page is right-to-left, with Arabic labels', async () => {
    const { page: ar } = await tills.open({ lang: 'ar' });
    expect(await ar.evaluate(() => [document.documentElement.dir, document.documentElement.lang])).toEqual(['rtl', 'ar']);
    await addProduct(ar, 'خبز عربي', '0.75');
    await tile(ar, 'Apple juice').waitFor();
    expect(await ar.getByTestId('checkout').textContent()).toBe('الدفع');
    await expect.poll(() => ar.getByTestId('sync-progress').textContent()).toMatch(/^اكتملت المزامنة الأولى — السجلات: [\d,]+$/);
    const [first, last] = await ar.getByTestId('product').evaluateAll((tiles) => [tiles[0]!.getBoundingClientRect().x, tiles[1]!.getBoundingClientRect().x]);
    expect(first).toBeGreaterThan(last!); // the first tile is on the right
    await ar.screenshot({ path: `${shots}till-ar.png` });
    // A sale's receipt in Arabic, as it prints.
    await tile(ar, 'خبز عربي').click();
    await ar.getByTestId('checkout').click();
    await expect.poll(() => ar.getByTestId('receipt-body').textContent()).toMatch(/^نقطة بيع possync.*الإيصال.*خبز عربي × 1.*الإجمالي0\.75نقدًا0\.75$/);
    await ar.emulateMedia({ media: 'print' });
    await ar.getByTestId('receipt').screenshot({ path: `${shots}receipt-ar.png` });
    // A shop that prints Arabic-Indic digits (the `digits` setting, here `?digits=arab`).
    const { page: indic, context } = await tills.open({ lang: 'ar', digits: 'arab' });
    await expect.poll(() => tile(indic, 'Apple juice').locator('.price').textContent()).toBe('٣٫٥٠');
    await context.close();
  });

  it('a shop’s day: a shift on two tills, 20 sales with one till offline for part of it, a customer earning points, a refund, then the close; the server and both tills agree', async () => {
    await addProduct(a, 'Day bread', '2.00', '6289999999991');
    await tile(b, 'Day bread').waitFor({ timeout: 10_000 });
    const start = await stock(a, 'Day bread');
    await a.getByTestId('shift-float').fill('20.00');
    await a.getByTestId('shift-open').click();
    await expect.poll(() => b.getByTestId('shift-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('open');
    const scan = async (page: Page) => {
      await page.getByTestId('search').fill('6289999999991');
      await page.getByTestId('search').press('Enter');
      await page.getByTestId('cart-line').waitFor();
      await page.getByTestId('checkout').click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=cart-line]').length === 0);
    };
    await bContext.setOffline(true);
    await offline(b);
    for (let i = 0; i < 20; i++) {
      if (i === 10) {
        await bContext.setOffline(false); // B comes back halfway through the day
        await online(b);
      }
      if (i === 4) {
        // A regular customer on till A: 2 points for 2.00.
        await a.getByTestId('customer-phone').fill('0509999999');
        await a.getByTestId('customer-phone').press('Enter');
        await a.getByTestId('customer-name').fill('Day customer');
        await a.getByTestId('customer-add').click();
        await a.getByTestId('customer').waitFor();
      }
      await scan(i % 2 === 0 ? a : b);
    }
    // One loaf comes back, from the receipt of till A's last sale.
    await a.getByTestId('receipt-refund').click();
    await a.getByTestId('refund-qty').fill('1');
    await a.getByTestId('refund-confirm').click();
    await expect.poll(() => a.getByTestId('refund-result').textContent()).toBe('Refunded 2.00');
    await drained(a);
    await drained(b);
    // 20.00 + 20 × 2.00 − 2.00 in the drawer; 20 sold, 1 back.
    for (const page of [a, b]) {
      await expect.poll(() => page.getByTestId('shift-state').textContent(), { timeout: 15_000 }).toBe('Expected cash: 58.00');
      await expect.poll(() => stock(page, 'Day bread'), { timeout: 15_000 }).toBe(start - 19);
    }
    const server = (sql: string) => tills.stack.sql(sql).trim();
    expect(server("SELECT JSON_VALUE(data, '$.expected_cash') FROM records WHERE table_name = 'shifts' AND JSON_VALUE(data, '$.closed_at') IS NULL")).toBe('5800');
    expect(server("SELECT JSON_VALUE(s.data, '$.quantity') FROM records s JOIN records p ON p.record_id = JSON_VALUE(s.data, '$.product_id') WHERE s.table_name = 'product_stock' AND JSON_VALUE(p.data, '$.barcode') = '6289999999991'")).toBe(String(start - 19));
    expect(server("SELECT JSON_VALUE(data, '$.points') FROM records WHERE table_name = 'customers' AND JSON_VALUE(data, '$.phone') = '0509999999'")).toBe('2');
    expect(server("SELECT COUNT(*) FROM records i JOIN records p ON p.record_id = JSON_VALUE(i.data, '$.product_id') WHERE i.table_name = 'invoice_items' AND JSON_VALUE(p.data, '$.barcode') = '6289999999991'")).toBe('20');
    await b.getByTestId('shift-counted').fill('58.00');
    await b.getByTestId('shift-close').click();
    await expect.poll(() => b.getByTestId('shift-result').textContent()).toBe('Expected cash 58.00 · Counted cash 58.00 · Variance 0.00');
    await expect.poll(() => a.getByTestId('shift-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('closed');
  }, 180_000);

  // Last: its catalogue would crowd the screenshots.
  it('a fresh till shows its first sync’s progress, ending complete, also after a reload', async () => {
    await seedProducts(tills.stack.ingest, 'Catalogue', 120);
    const { page } = await tills.open({ init: recordProgress });
    const progress = page.getByTestId('sync-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
    const seen: string[] = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(seen[0]).toMatch(/^first-sync\|First sync — records: \d+$/);
    const [state, text] = seen.at(-1)!.split('|');
    expect(state).toBe('done');
    expect(Number(text!.match(/^First sync complete — records: ([\d,]+)$/)![1]!.replace(/,/g, ''))).toBeGreaterThanOrEqual(120);
    await page.getByTestId('search').fill('catalogue 119'); // the grid shows 48 at once
    await tile(page, 'Catalogue 119').waitFor();
    await page.reload();
    await expect.poll(() => progress.textContent()).toBe('First sync complete');
    expect(await progress.getAttribute('data-state')).toBe('done');
    await page.context().close();
  });
});
