/**
 * Tills for the demo's tests: one Chromium (Debian's, never a downloaded one), a browser
 * profile per till, the demo page driven through its data-testid hooks only.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium, startStack, type Stack } from './stack.js';

export class Tills {
  private constructor(
    readonly stack: Stack,
    readonly browser: Browser,
  ) {}

  static async start(): Promise<Tills> {
    const stack = await startStack();
    const browser = await launchChromium();
    return new Tills(stack, browser);
  }

  url(lang = 'en', digits?: string): string {
    const { origin, ingest, wsUrl } = this.stack;
    return `${origin}/?lang=${lang}&api=${encodeURIComponent(ingest)}&ws=${encodeURIComponent(wsUrl)}${digits ? `&digits=${digits}` : ''}`;
  }

  /** A till in a new profile, logged in as cashier1 and online; or a new tab of `context`
   * (it shows the syncing tab's connection from that tab's next status change). */
  async open(options: { context?: BrowserContext; lang?: string; digits?: string; init?: () => void } = {}): Promise<{ page: Page; context: BrowserContext }> {
    const context = options.context ?? (await this.browser.newContext({ viewport: { width: 1000, height: 700 } }));
    if (options.init) await context.addInitScript(options.init);
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('[page]', err));
    await page.goto(this.url(options.lang, options.digits));
    const login = page.getByTestId('login-submit');
    const state = page.getByTestId('connection-state');
    await login.or(state).first().waitFor();
    if (await login.isVisible()) {
      await page.getByTestId('login-username').fill('cashier1');
      await page.getByTestId('login-password').fill('password');
      await login.click();
    }
    if (!options.context) await online(page);
    return { page, context };
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.stack.stop();
  }
}

export const online = (page: Page) => page.waitForFunction(() => document.querySelector('[data-testid=connection-state]')?.textContent?.includes('online'), null, { timeout: 20_000 });
export const offline = (page: Page) => page.waitForFunction(() => document.querySelector('[data-testid=connection-state]')?.textContent?.includes('offline'));
export const pending = async (page: Page) => Number(await page.getByTestId('pending-count').textContent());
export const drained = (page: Page, timeout = 30_000) => page.waitForFunction(() => document.querySelector('[data-testid=pending-count]')?.textContent === '0', null, { timeout });

export const tile = (page: Page, name: string): Locator => page.getByTestId('product').filter({ hasText: name });
export const stock = async (page: Page, name: string) => Number(await tile(page, name).getByTestId('stock').textContent());

export async function addProduct(page: Page, name: string, price: string, barcode = ''): Promise<void> {
  await page.getByTestId('new-product-name').fill(name);
  await page.getByTestId('new-product-price').fill(price);
  await page.getByTestId('new-product-barcode').fill(barcode);
  await page.getByTestId('add-product').click();
}

/** Sells one of `name` in cash and waits for the sale to be written (the cart empties). */
export async function sell(page: Page, name: string): Promise<void> {
  await tile(page, name).click();
  await page.getByTestId('checkout').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=cart-line]').length === 0);
}

export async function editPrice(page: Page, name: string, price: string): Promise<void> {
  const t = tile(page, name);
  await t.getByTestId('edit-price').click();
  await t.locator('input').fill(price);
  await t.getByTestId('save-price').click();
}

/** Put in a page before the demo: every state and text of the first sync's progress, in `window.progressSeen`. */
export const recordProgress = () => {
  const w = window as unknown as { progressSeen: string[] };
  w.progressSeen = [];
  new MutationObserver(() => {
    const el = document.querySelector<HTMLElement>('[data-testid=sync-progress]');
    const seen = el && `${el.dataset.state}|${el.textContent}`;
    if (seen && w.progressSeen.at(-1) !== seen) w.progressSeen.push(seen);
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
};

/** `count` products written by an admin through `batch-push` (another till's catalogue). */
export async function seedProducts(ingest: string, prefix: string, count: number): Promise<void> {
  const login = await fetch(`${ingest}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'password' }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  for (let from = 0; from < count; from += 50) {
    const records = Array.from({ length: Math.min(50, count - from) }, (_, i) => ({
      table_name: 'products',
      record_id: `${prefix}-${from + i}`,
      data: { name: `${prefix} ${from + i}`, price: 1 },
      local_updated_at: new Date().toISOString(),
    }));
    const res = await fetch(`${ingest}/api/sync/batch-push`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: JSON.stringify({ device_id: 'back-office', records }) });
    if (!res.ok) throw new Error(`seed push: ${res.status} ${await res.text()}`);
  }
}

/** An admin's back-office write through the entity routes (PUT replaces `data`). */
export async function backOffice(ingest: string, method: string, path: string, body?: unknown): Promise<any> {
  const login = await fetch(`${ingest}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'password' }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const res = await fetch(`${ingest}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Records pushed by an admin through `batch-push` (the back office's writes). */
export async function adminPush(ingest: string, records: object[]): Promise<void> {
  const login = await fetch(`${ingest}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'password' }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const stamped = records.map((r) => ({ local_updated_at: new Date().toISOString(), ...r }));
  const res = await fetch(`${ingest}/api/sync/batch-push`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: JSON.stringify({ device_id: 'back-office', records: stamped }) });
  if (!res.ok) throw new Error(`admin push: ${res.status} ${await res.text()}`);
}
