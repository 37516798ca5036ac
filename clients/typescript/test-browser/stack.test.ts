/**
 * The package in a real headless Chromium (Debian's /usr/bin/chromium, never a downloaded
 * browser) against the real ingest, fanout, MariaDB and NATS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startStack, type Stack } from './stack.js';

const ACCESS_TTL_SECS = 8;
let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startStack(ACCESS_TTL_SECS);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

/** A till: its own browser profile (IndexedDB), or another tab of an existing one. */
async function till(deviceId: string, context?: BrowserContext): Promise<{ page: Page; context: BrowserContext }> {
  if (!context) {
    context = await browser.newContext();
    contexts.push(context);
  }
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${deviceId}]`, err));
  await page.goto(stack.origin);
  await page.evaluate(
    async ({ deviceId, wsUrl }) => {
      const w = window as any;
      w.opens = 0;
      w.closes = [];
      w.requests = [];
      w.changes = [];
      w.engine = new w.possync.SyncEngine({ apiUrl: location.origin, wsUrl, deviceId, periodicSyncMs: 0, heartbeatMs: 5000 });
      w.engine.socket.on('open', () => w.opens++);
      w.engine.socket.on('close', (e: { code: number }) => w.closes.push(e.code));
      w.engine.on('change', (c: { tables: string[] }) => w.changes.push(...c.tables));
      await w.engine.start();
    },
    { deviceId, wsUrl: stack.wsUrl },
  );
  return { page, context };
}

async function login(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as any).engine.status.leader || true);
  await page.evaluate(() => (window as any).engine.login('cashier1', 'password'));
  await page.waitForFunction(() => (window as any).engine.status.connection === 'online' && !(window as any).engine.status.syncing);
}

const record = (page: Page, table: string, id: string) =>
  page.evaluate(([t, i]) => (window as any).engine.get(t, i), [table, id] as const);

async function waitRecord(page: Page, table: string, id: string, check: (data: any) => boolean = () => true) {
  for (let i = 0; i < 200; i++) {
    const r = await record(page, table, id);
    if (r && check(r.data)) return r;
    await page.waitForTimeout(50);
  }
  throw new Error(`${table}/${id} never arrived as expected`);
}

describe('real stack in Chromium', () => {
  let a: Page;
  let aContext: BrowserContext;
  let b: Page;

  it('offline → online converges', async () => {
    ({ page: a, context: aContext } = await till('ts-till-a'));
    ({ page: b } = await till('ts-till-b'));
    await login(a);
    await login(b);
    await aContext.setOffline(true);
    await a.waitForFunction(() => (window as any).engine.status.connection === 'offline');
    await a.evaluate(async () => {
      const e = (window as any).engine;
      await e.write(async (w: any) => {
        await w.put('customers', 'off-1', { name: 'Offline One' });
        await w.put('customers', 'off-2', { name: 'Offline Two' });
      });
      await e.put('customers', 'off-3', { name: 'Offline Three' });
    });
    expect(await a.evaluate(() => (window as any).engine.status.pending)).toBe(3);
    await aContext.setOffline(false);
    await a.waitForFunction(() => (window as any).engine.status.pending === 0, null, { timeout: 30_000 });
    for (const id of ['off-1', 'off-2', 'off-3']) await waitRecord(b, 'customers', id);
    expect((await record(b, 'customers', 'off-2')).data).toEqual({ name: 'Offline Two' });
    expect((await record(a, 'customers', 'off-1')).sync_version).toBeGreaterThanOrEqual(0);
  });

  it('two devices and one conflict, resolved for the client', async () => {
    await a.evaluate(() => (window as any).engine.put('customers', 'conf-1', { name: 'first' }));
    await waitRecord(b, 'customers', 'conf-1');
    await waitRecord(a, 'customers', 'conf-1', () => true);
    await a.waitForFunction(async () => (await (window as any).engine.get('customers', 'conf-1')).sync_version >= 1);
    await aContext.setOffline(true);
    await a.waitForFunction(() => (window as any).engine.status.connection === 'offline');
    await a.evaluate(() => (window as any).engine.put('customers', 'conf-1', { name: 'from A' }));
    await b.evaluate(() => (window as any).engine.put('customers', 'conf-1', { name: 'from B' }));
    await b.waitForFunction(() => (window as any).engine.status.pending === 0);
    await aContext.setOffline(false);
    await a.waitForFunction(() => (window as any).engine.status.conflicts.length === 1, null, { timeout: 30_000 });
    const conflict = await a.evaluate(() => (window as any).engine.status.conflicts[0]);
    expect(conflict).toMatchObject({ record_id: 'conf-1', local_data: { name: 'from A' }, server_data: { name: 'from B' } });
    expect((await record(a, 'customers', 'conf-1')).data).toEqual({ name: 'from B' });
    await a.evaluate(() => (window as any).engine.resolveConflict('customers', 'conf-1', 'accept_client'));
    expect(await a.evaluate(() => (window as any).engine.status.conflicts.length)).toBe(0);
    await waitRecord(b, 'customers', 'conf-1', (d) => d.name === 'from A');
  });

  it('resyncs from scratch after a 410', async () => {
    const statuses: number[] = [];
    a.on('response', (r) => {
      if (r.url().includes('/api/sync/pull-changes')) statuses.push(r.status());
    });
    // A cursor from another database (e.g. the server was restored elsewhere).
    const before = await a.evaluate(async () => {
      const e = (window as any).engine;
      await e.db.meta.put({ key: 'cursor', value: btoa('v1.another-db.5.0').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_') });
      await e.db.records.clear();
      await e.sync();
      return (await e.list('customers')).length;
    });
    expect(statuses[0]).toBe(410);
    expect(statuses.slice(1).every((s) => s === 200)).toBe(true);
    expect(before).toBeGreaterThanOrEqual(4);
    const cursor = await a.evaluate(() => (window as any).engine.store.cursor());
    expect(atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))).toMatch(/^v1\./);
  });

  it('keeps its socket when the access token expires while it is open', async () => {
    const opens = await a.evaluate(() => (window as any).opens);
    await a.waitForTimeout((ACCESS_TTL_SECS + 4) * 1000);
    await b.evaluate(() => (window as any).engine.put('customers', 'tok-1', { name: 'after expiry' }));
    await waitRecord(a, 'customers', 'tok-1');
    expect(await a.evaluate(() => (window as any).opens)).toBe(opens);
    expect(await a.evaluate(() => (window as any).closes)).not.toContain(4001);
  });

  it('two tabs of one till: one leader, the other sees every change', async () => {
    const { page: tab1, context } = await till('ts-till-c');
    await login(tab1);
    const { page: tab2 } = await till('ts-till-c', context);
    await tab2.waitForTimeout(300);
    const leaders = await Promise.all([tab1, tab2].map((p) => p.evaluate(() => (window as any).engine.status.leader)));
    expect(leaders).toEqual([true, false]);
    // A write in the follower tab is pushed by the leader.
    await tab2.evaluate(() => (window as any).engine.put('customers', 'tab-1', { name: 'from tab 2' }));
    await waitRecord(b, 'customers', 'tab-1');
    // A change from another device reaches the follower tab too.
    await b.evaluate(() => (window as any).engine.put('customers', 'tab-2', { name: 'from B' }));
    await waitRecord(tab2, 'customers', 'tab-2');
    await tab2.waitForFunction(() => (window as any).changes.includes('customers'));
    // The leader tab closes: the other takes over.
    await tab1.close();
    await tab2.waitForFunction(() => (window as any).engine.status.leader, null, { timeout: 10_000 });
  });
});
