/**
 * The package as a local database, in Chromium against the real stack: a typed write the
 * server would refuse is refused at the till with the server's words; a live query follows
 * another till's sale; a React page (`react-page.ts`) follows its queries and status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, Tills } from './till.js';

let tills: Tills;

beforeAll(async () => {
  tills = await Tills.start(3600);
});

afterAll(() => tills?.close());

describe('typed tables, live queries and React', () => {
  it('refuses at the till what the server refuses, with the same words, and queues nothing', async () => {
    const { page } = await tills.open('ts-typed');
    await login(page);
    const local = await page.evaluate(async () => {
      const { engine, possync } = window as any;
      try {
        await engine.table('products').put('typed-bad', { name: 'Tea', price: -1 });
        return 'written';
      } catch (err: any) {
        return { isClass: err instanceof possync.InvalidRecordError, field: err.field, message: err.message, pending: engine.status.pending };
      }
    });
    expect(local).toEqual({
      isClass: true,
      field: 'data.price',
      message: 'possync: products "typed-bad": data.price must be a number ≥ 0',
      pending: 0,
    });
    // The same record pushed by hand: the server's refusal says the same.
    const server = await page.evaluate(async () => {
      const login = await fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'cashier1', password: 'password' }),
      });
      const { accessToken } = await login.json();
      const push = await fetch('/api/sync/batch-push', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({
          device_id: 'ts-typed-raw',
          records: [{ table_name: 'products', record_id: 'typed-bad', data: { name: 'Tea', price: -1 }, local_updated_at: new Date().toISOString() }],
        }),
      });
      return { status: push.status, body: await push.json() };
    });
    expect(JSON.stringify(server.body)).toContain('data.price must be a number ≥ 0');
    expect(tills.stack.sql("SELECT COUNT(*) FROM records WHERE record_id = 'typed-bad'").trim()).toBe('0');
  });

  it('a live query on an index follows another till’s writes through the server, and another tab’s', async () => {
    const { page: a } = await tills.open('ts-live-a');
    const { page: b } = await tills.open('ts-live-b');
    await login(a);
    await login(b);
    await a.evaluate(() => {
      const w = window as any;
      w.liveResults = [];
      w.engine
        .live(() => w.engine.table('products').where('barcode').equals('6281000000001').toArray())
        .subscribe((rows: any[]) => w.liveResults.push(rows.map((r) => `${r.data.name}:${r.data.price}`)));
    });
    await a.waitForFunction(() => (window as any).liveResults.length === 1);
    await b.evaluate(() => (window as any).engine.table('products').put('live-1', { name: 'Milk', price: 5, barcode: '6281000000001' }));
    await a.waitForFunction(() => (window as any).liveResults.at(-1).join() === 'Milk:5', null, { timeout: 15_000 });
    await b.evaluate(() => (window as any).engine.table('products').patch('live-1', { price: 6 }));
    await a.waitForFunction(() => (window as any).liveResults.at(-1).join() === 'Milk:6', null, { timeout: 15_000 });
    // Another tab of the same till (same IndexedDB): its write reaches the query without the server.
    const { page: tab } = await tills.open('ts-live-a', { context: a.context() });
    await tab.evaluate(() => (window as any).engine.table('products').patch('live-1', { price: 7 }));
    await a.waitForFunction(() => (window as any).liveResults.at(-1).join() === 'Milk:7', null, { timeout: 15_000 });
    expect(await a.evaluate(() => (window as any).liveResults[0])).toEqual([]);
  });

  it('a React page shows its queries, record and status, and follows another till', async () => {
    const { page } = await tills.open('ts-react', { react: true });
    const { page: other } = await tills.open('ts-react-other');
    await login(page);
    await login(other);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'logged_in pending=0');
    await page.fill('#search', 'حليب');
    await other.evaluate(() => (window as any).engine.table('products').put('react-1', { name: 'حَليب طازج', price: 7 }));
    await page.waitForFunction(() => document.querySelector('#found')?.textContent === 'حَليب طازج 7', null, { timeout: 15_000 });
    // useRecord follows the search's first match in a query of its own: it lands a moment later.
    await page.waitForFunction(() => document.querySelector('#first')?.textContent === 'حَليب طازج @ 7');
    // A local sale on the React till itself: the query and the status follow.
    await page.evaluate(() => (window as any).engine.table('products').put('react-2', { name: 'حليب بودرة', price: 9 }));
    await page.waitForFunction(() => document.querySelectorAll('#found li').length === 2);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'logged_in pending=0', null, { timeout: 15_000 });
    await page.fill('#search', 'خبز');
    await page.waitForFunction(() => document.querySelector('#found')?.textContent === '' && document.querySelector('#first')?.textContent === '-');
  });
});
