/**
 * The package in a real headless Chromium (Debian's /usr/bin/chromium, never a downloaded
 * browser) against the real ingest, fanout, MariaDB and NATS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { login, record, Tills, waitRecord, type TillOptions } from './till.js';

const ACCESS_TTL_SECS = 8;
let tills: Tills;

beforeAll(async () => {
  tills = await Tills.start(ACCESS_TTL_SECS);
});

afterAll(() => tills?.close());

const till = (deviceId: string, options?: TillOptions) => tills.open(deviceId, options);

describe('real stack in Chromium', () => {
  let a: Page;
  let aContext: BrowserContext;
  let b: Page;
  let bContext: BrowserContext;

  it('offline → online converges', async () => {
    ({ page: a, context: aContext } = await till('ts-till-a'));
    ({ page: b, context: bContext } = await till('ts-till-b'));
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
    // The status counts the queue just after a commit (a macrotask later), not within it.
    await a.waitForFunction(() => (window as any).engine.status.pending === 3, null, { timeout: 5_000 });
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
    // B's edit must be on the server before A comes back (the status may not count it yet).
    await b.evaluate(() => (window as any).engine.sync());
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

  it('two tills that each sell one of a product offline end with the stock down by two, on the server too', async () => {
    const quantity = (page: Page) => page.evaluate(async () => (await (window as any).engine.get('product_stock', 'stock-1')).data.quantity);
    await a.evaluate(() => (window as any).engine.put('product_stock', 'stock-1', { product_id: 'prod-1', quantity: 10 }));
    await waitRecord(b, 'product_stock', 'stock-1', (d) => d.quantity === 10);
    await a.waitForFunction(() => (window as any).engine.status.pending === 0);
    for (const [page, context] of [[a, aContext], [b, bContext]] as const) {
      await context.setOffline(true);
      await page.waitForFunction(() => (window as any).engine.status.connection === 'offline');
    }
    for (const page of [a, b]) {
      await page.evaluate(() => (window as any).engine.increment('product_stock', 'stock-1', { quantity: -1 }));
      expect(await quantity(page)).toBe(9); // shown at once, offline
    }
    await aContext.setOffline(false);
    await bContext.setOffline(false);
    for (const page of [a, b]) {
      await page.waitForFunction(() => (window as any).engine.status.pending === 0, null, { timeout: 30_000 });
      await waitRecord(page, 'product_stock', 'stock-1', (d) => d.quantity === 8);
      // The copy catches up with the server: no increment is left on top of it.
      await page.waitForFunction(async () => (await (window as any).engine.db.sentIncrements.count()) === 0, null, { timeout: 10_000, polling: 100 });
      expect(await quantity(page)).toBe(8);
    }
    const login = await fetch(`${tills.stack.ingest}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'cashier1', password: 'password' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const server = await fetch(`${tills.stack.ingest}/api/product_stock/stock-1`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(((await server.json()) as { data: { quantity: number } }).data.quantity).toBe(8);
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

  it("proves its copy equals the server's by checksums and repairs a table that differs", async () => {
    const found = await a.evaluate(async () => {
      const e = (window as any).engine;
      await e.sync();
      const equal = await e.verify();
      // Lose one customer, keep a stale version of another and gain one the server never had.
      const rows = (await e.db.records.toArray()).filter((r: any) => r.table_name === 'customers');
      await e.db.records.delete([rows[0].table_name, rows[0].record_id]);
      await e.db.records.put({ ...rows[1], sync_version: 0 });
      await e.db.records.put({ ...rows[1], record_id: 'ghost-customer', sync_version: 7 });
      const repaired = await e.verify();
      const again = await e.verify();
      const held = (await e.db.records.toArray()).filter((r: any) => r.table_name === 'customers').length;
      return { equal, repaired, again, held };
    });
    expect(found.equal).toEqual({ kind: 'equal', tables: 31 });
    expect(found.repaired).toEqual({ kind: 'repaired', tables: [{ table: 'customers', written: found.held, dropped: 1 }] });
    expect(found.again).toEqual({ kind: 'equal', tables: 31 });
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
    const { page: tab2 } = await till('ts-till-c', { context });
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

  it('a page on another origin calls ingest directly (CORS)', async () => {
    const { page: direct } = await till('ts-till-d', { api: 'direct' });
    const calls: string[] = [];
    direct.on('request', (r) => calls.push(r.url()));
    await login(direct);
    await direct.evaluate(() => (window as any).engine.put('customers', 'cors-1', { name: 'cross-origin' }));
    await direct.waitForFunction(() => (window as any).engine.status.pending === 0);
    await waitRecord(b, 'customers', 'cors-1');
    await b.evaluate(() => (window as any).engine.put('customers', 'cors-2', { name: 'to the other origin' }));
    await waitRecord(direct, 'customers', 'cors-2');
    const api = calls.filter((url) => url.includes('/api/'));
    expect(api.some((url) => url.startsWith(`${tills.stack.ingest}/api/sync/batch-push`))).toBe(true);
    expect(api.every((url) => url.startsWith(tills.stack.ingest))).toBe(true);
    expect(new URL(tills.stack.ingest).origin).not.toBe(new URL(direct.url()).origin);
  });

  it('ingest refuses a page from an origin it does not list', async () => {
    const page = await (await tills.profile()).newPage();
    await page.goto(tills.stack.origin.replace('127.0.0.1', 'localhost'));
    const outcome = await page.evaluate(
      (ingest) =>
        fetch(`${ingest}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'cashier1', password: 'password' }),
        }).then(
          (r) => `status ${r.status}`,
          (err: Error) => err.name,
        ),
      tills.stack.ingest,
    );
    expect(outcome).toBe('TypeError');
    await page.close();
  });
});
