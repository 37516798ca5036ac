/** Local queries on indexes, over rows and packed copies, and live queries. */
import { afterEach, describe, expect, it } from 'vitest';
import { indexCopies } from '../src/copies.js';
import { META, openDatabase } from '../src/db.js';
import { fold, Indexes } from '../src/indexes.js';
import { LocalStore } from '../src/LocalStore.js';
import type { SyncEngine } from '../src/SyncEngine.js';
import { SyncTable } from '../src/SyncTable.js';
import { FakeIngest, startEngine, uniqueName, until } from './fakes.js';

const started: SyncEngine[] = [];
afterEach(async () => {
  for (const e of started.splice(0)) await e.stop();
});

function setup(indexes?: Indexes, name = uniqueName('query')) {
  const db = openDatabase(name, undefined, undefined, indexes);
  const store = new LocalStore(db);
  return { db, store, products: new SyncTable(store, 'products'), invoices: new SyncTable(store, 'invoices') };
}

const change = (table: string, id: string, version: number, data: object | null, isDeleted = false) => ({
  table_name: table,
  record_id: id,
  data,
  is_deleted: isDeleted,
  sync_version: version,
  server_updated_at: '2025-01-01T00:00:00Z',
});

const product = (i: number) => ({ name: `Item ${i}`, price: i, barcode: `628${String(i).padStart(10, '0')}` });
const ids = (rows: Array<{ record_id: string }>) => rows.map((r) => r.record_id);

describe('local queries', () => {
  it('find by equal value, prefix, range and order, on rows', async () => {
    const { products, invoices } = setup();
    await products.put('milk', { name: 'حَليب طازج', price: 5, barcode: '6221' });
    await products.put('milk2', { name: 'حليب بودرة', price: 9, barcode: '6222' });
    await products.put('bread', { name: 'خبز', price: 1, barcode: '6223' });
    await products.put('tea', { name: 'Thé Vert', price: 3 });
    await products.put('alef', { name: 'أرز', price: 2 });
    expect(ids(await products.where('barcode').equals('6222').toArray())).toEqual(['milk2']);
    expect(await products.where('barcode').equals('0000').first()).toBeUndefined();
    expect(ids(await products.where('name').startsWith('حليب').toArray())).toEqual(['milk2', 'milk']);
    expect(ids(await products.where('name').startsWith('THE').toArray())).toEqual(['tea']);
    expect(ids(await products.where('name').startsWith('ارز').toArray())).toEqual(['alef']);
    expect(ids(await products.where('barcode').between('6221', '6223').toArray())).toEqual(['milk', 'milk2']);
    expect(ids(await products.where('barcode').between('6221', '6223', false, true).toArray())).toEqual(['milk2', 'bread']);
    expect(ids(await products.where('barcode').above('6221').toArray())).toEqual(['milk2', 'bread']);
    expect(ids(await products.where('barcode').atMost('6222').toArray())).toEqual(['milk', 'milk2']);
    expect(await products.orderBy('barcode').count()).toBe(3); // `tea` and `alef` have none

    for (let h = 0; h < 24; h++) {
      const at = `2026-12-01T${String(h).padStart(2, '0')}:00:00.000Z`;
      await invoices.put(`inv-${h}`, { total: h, created_at: at, shift_id: h < 12 ? 's1' : 's2' });
    }
    const last = await invoices.orderBy('created_at').reverse().limit(3).toArray();
    expect(ids(last)).toEqual(['inv-23', 'inv-22', 'inv-21']);
    expect(ids(await invoices.orderBy('created_at').reverse().offset(1).limit(2).toArray())).toEqual(['inv-22', 'inv-21']);
    expect(await invoices.where('shift_id').equals('s1').count()).toBe(12);
    const morning = await invoices.where('created_at').between('2026-12-01T09:00:00+03:00', new Date('2026-12-01T09:00:00Z')).toArray();
    expect(ids(morning)).toEqual(['inv-6', 'inv-7', 'inv-8']);
    expect(() => invoices.where('created_at').equals('yesterday')).toThrow('"yesterday" is not a date-time');
  });

  it('follow edits and deletes, and never see a value a record no longer has', async () => {
    const { products } = setup();
    await products.put('p1', { name: 'Tea', price: 1, barcode: 'A' });
    await products.patch('p1', { barcode: 'B' });
    expect(await products.where('barcode').equals('A').toArray()).toEqual([]);
    expect((await products.where('barcode').equals('B').first())!.data).toMatchObject({ name: 'Tea' });
    await products.delete('p1');
    expect(await products.where('barcode').equals('B').toArray()).toEqual([]);
    expect(await products.where('barcode').equals('B').count()).toBe(0);
  });

  it('read packed copies, and a row (an edit, a delete) hides its packed copy', async () => {
    const { db, store, products } = setup();
    await store.applyPage(Array.from({ length: 1_000 }, (_, i) => change('products', `p${i}`, 1, product(i))), 'a', true);
    expect(await db.records.count()).toBe(0);
    const found = await products.where('barcode').equals('6280000000777').toArray();
    expect(found).toEqual([{ table_name: 'products', record_id: 'p777', data: product(777), is_deleted: false, sync_version: 1 }]);
    await products.patch('p777', { barcode: 'new' });
    await products.delete('p778');
    await store.applyChanges([change('products', 'p779', 2, { ...product(779), barcode: 'moved' })]);
    expect(await products.where('barcode').equals('6280000000777').toArray()).toEqual([]);
    expect(await products.where('barcode').equals('6280000000778').toArray()).toEqual([]);
    expect(ids(await products.where('barcode').equals('new').toArray())).toEqual(['p777']);
    expect(ids(await products.where('barcode').between('6280000000776', '6280000000781').toArray())).toEqual(['p776', 'p780']);
    // Order and window over rows and packs together.
    const last = await products.orderBy('barcode').reverse().limit(3).toArray();
    expect(ids(last)).toEqual(['p777', 'p779', 'p999']); // 'new' and 'moved' sort after digits
    expect(ids(await products.orderBy('barcode').reverse().offset(1).limit(2).toArray())).toEqual(['p779', 'p999']);
    expect(ids(await products.orderBy('barcode').offset(1).limit(2).toArray())).toEqual(['p1', 'p2']);
    expect(await products.orderBy('barcode').count()).toBe(999);
    expect(ids(await products.where('name').startsWith('item 99').toArray())).toEqual(['p99', 'p990', 'p991', 'p992', 'p993', 'p994', 'p995', 'p996', 'p997', 'p998', 'p999']);
  });

  it('show counters with pending increments', async () => {
    const { store } = setup();
    const stock = new SyncTable(store, 'product_stock');
    await store.applyChanges([change('product_stock', 'st1', 1, { product_id: 'p1', quantity: 10 })]);
    await stock.increment('st1', { quantity: -3 });
    expect((await stock.where('product_id').equals('p1').first())!.data).toMatchObject({ quantity: 7 });
  });

  it('take their fields from the spec: counters and unknown tables refused, other fields named', async () => {
    expect(() => new Indexes({ product_stock: { quantity: 'exact' } })).toThrow('product_stock.quantity is a counter');
    expect(() => new Indexes({ users: { name: 'text' } } as never)).toThrow('no synced table "users"');
    const { products } = setup(new Indexes({ products: { brand: 'exact' } }));
    expect(() => products.where('colour')).toThrow('products.colour is not indexed (indexed: barcode, sku, name, category_id, brand;');
    await products.put('p1', { name: 'Tea', price: 1, brand: 'Lipton' });
    expect(ids(await products.where('brand').equals('Lipton').toArray())).toEqual(['p1']);
    expect(fold('  أَحْمَد ')).toBe('احمد');
  });

  it('are indexed again when the spec changes (or a database of schema 4 is upgraded)', async () => {
    const name = uniqueName('respec');
    const first = setup(undefined, name);
    await first.store.applyPage(Array.from({ length: 300 }, (_, i) => change('products', `p${i}`, 1, { ...product(i), brand: `b${i % 3}` })), 'a', true);
    await first.products.put('mine', { name: 'Mine', price: 1, brand: 'b1' });
    await indexCopies(first.db);
    first.db.close();
    const second = setup(new Indexes({ products: { brand: 'exact' } }), name);
    expect(await indexCopies(second.db)).toBe(true);
    expect(await second.products.where('brand').equals('b1').count()).toBe(101);
    expect((await second.db.meta.get(META.indexes))!.value).toBe(second.db.indexes.key);
    expect(await indexCopies(second.db)).toBe(false);
    second.db.close();
  });
});

describe('live queries', () => {
  it('run again when their table changes, locally, from the server or in another tab, and not for other tables', async () => {
    const server = new FakeIngest();
    const dbName = uniqueName('live');
    const e = await startEngine(server, started, { wsUrl: undefined, dbName });
    await e.login('cashier1', 'password');
    const products = e.table('products');
    const results: string[][] = [];
    let runs = 0;
    const subscription = e
      .live(() => {
        runs++;
        return products.where('name').startsWith('tea').toArray();
      })
      .subscribe((rows) => results.push(ids(rows)));
    await until(() => results.length === 1);
    expect(results).toEqual([[]]);

    await products.put('t1', { name: 'Tea', price: 1 });
    await until(() => results.length === 2);
    expect(results[1]).toEqual(['t1']);

    await e.sync(); // its push and pull write the row again: the query runs again
    const runsBefore = runs;
    await e.table('customers').put('c1', { name: 'Ali' });
    await e.sync();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs).toBe(runsBefore);

    server.serverWrite('products', 't2', { name: 'Tea green', price: 2 });
    await e.sync();
    await until(() => results.at(-1)!.includes('t2'));

    const tab2 = await startEngine(server, started, { wsUrl: undefined, dbName }, false);
    await tab2.table('products').put('t3', { name: 'Tea black', price: 3 });
    await until(() => results.at(-1)!.includes('t3'));
    expect(results.at(-1)).toEqual(['t1', 't3', 't2']); // folded names: tea, tea black, tea green
    subscription.unsubscribe();
  });

  it('include pending counter increments', async () => {
    const server = new FakeIngest();
    const e = await startEngine(server, started, { wsUrl: undefined });
    const stock = e.table('product_stock');
    await stock.put('st1', { product_id: 'p1', quantity: 5 });
    const seen: number[] = [];
    const byId: number[] = [];
    const subscriptions = [
      e.live(() => stock.where('product_id').equals('p1').first()).subscribe((r) => seen.push(r!.data!.quantity as number)),
      e.live(() => stock.get('st1')).subscribe((r) => byId.push(r!.data!.quantity as number)),
    ];
    await until(() => seen.length === 1 && byId.length === 1);
    await stock.increment('st1', { quantity: -2 });
    await until(() => seen.at(-1) === 3 && byId.at(-1) === 3);
    for (const s of subscriptions) s.unsubscribe();
  });
});
