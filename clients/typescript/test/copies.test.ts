/** Packed copies: a catch-up page stored 250 records a value, and rows that hide them. */
import { describe, expect, it } from 'vitest';
import { allCopies, PACK_ROWS } from '../src/copies.js';
import { openDatabase } from '../src/db.js';
import { LocalStore } from '../src/LocalStore.js';
import { SyncQueue } from '../src/SyncQueue.js';
import { uniqueName } from './fakes.js';

function setup(name = uniqueName('copies')) {
  const db = openDatabase(name);
  const store = new LocalStore(db);
  return { db, store, queue: new SyncQueue(db, store) };
}

const change = (table: string, id: string, version: number, data: object = { v: version }) => ({
  table_name: table,
  record_id: id,
  data,
  is_deleted: false,
  sync_version: version,
  server_updated_at: '2025-01-01T00:00:00Z',
});

/** A catch-up page: `n` products at `version`, then `extra`. */
const page = (n: number, version: number, ...extra: ReturnType<typeof change>[]) => [
  ...Array.from({ length: n }, (_, i) => change('products', `p${i}`, version, { i, version })),
  ...extra,
];

describe('packed copies', () => {
  it('a catch-up page of records the device lacks is packed, 250 a value, and reads the same', async () => {
    const { db, store } = setup();
    await store.applyPage(page(1_000, 1, change('customers', 'c1', 1)), 'a', true);
    expect(await db.records.count()).toBe(0);
    expect(await db.packs.count()).toBe(1_000 / PACK_ROWS + 1); // a pack holds one table's records
    expect(await store.get('products', 'p999')).toMatchObject({ data: { i: 999, version: 1 }, sync_version: 1 });
    expect(await store.get('products', 'p1000')).toBeUndefined();
    const listed = await store.list('products');
    expect(listed.map((r) => r.record_id)).toEqual([...Array.from({ length: 1_000 }, (_, i) => `p${i}`)].sort());
    expect(await allCopies(db)).toHaveLength(1_001);
  });

  it('a newer server version hides the packed copy; an older one (a late event) changes nothing', async () => {
    const { db, store } = setup();
    await store.applyPage(page(300, 5), 'a', true);
    expect(await store.apply(change('products', 'p1', 4, { late: true }))).toBe(false);
    expect(await store.get('products', 'p1')).toMatchObject({ sync_version: 5, data: { i: 1, version: 5 } });
    expect(await db.records.count()).toBe(0);
    expect(await store.apply(change('products', 'p1', 6, { newer: true }))).toBe(true);
    expect(await store.get('products', 'p1')).toMatchObject({ sync_version: 6, data: { newer: true } });
    const listed = await store.list('products');
    expect(listed).toHaveLength(300);
    expect(listed.find((r) => r.record_id === 'p1')).toMatchObject({ sync_version: 6 });
    // A later catch-up page holding packed and hidden records merges them: nothing packed twice.
    await store.applyPage(page(300, 7), 'b');
    expect(await db.packs.count()).toBe(2);
    expect(await store.get('products', 'p299')).toMatchObject({ sync_version: 7 });
    expect(await allCopies(db)).toHaveLength(300);
  });

  it('a record twice in one page keeps its later version', async () => {
    const { store } = setup();
    await store.applyPage(page(300, 1, change('products', 'p7', 2, { again: true })), 'a');
    expect(await store.get('products', 'p7')).toMatchObject({ sync_version: 2, data: { again: true } });
    expect(await store.list('products')).toHaveLength(300);
  });

  it('a local edit of a packed record is based on its copy, and a refusal rolls back to it', async () => {
    const { db, store, queue } = setup();
    await store.applyPage(page(300, 3), 'a', true);
    await store.patch('products', 'p2', { name: 'mine', price: 1 });
    const [entry] = await db.outbox.toArray();
    expect(entry).toMatchObject({ base_version: 3, data: { i: 2, version: 3, name: 'mine' } });
    expect(await store.get('products', 'p2')).toMatchObject({ data: { name: 'mine' }, base: { sync_version: 3 } });
    // A catch-up page while the edit is queued moves only its base.
    await store.applyPage(page(300, 4), 'b');
    expect(await store.get('products', 'p2')).toMatchObject({ data: { name: 'mine' }, base: { sync_version: 4 } });
    const batch = await queue.next();
    await queue.settle(batch, { success: false, synced_count: 0, conflicts: [], errors: [{ index: 0, record_id: 'p2', message: 'refused' }] });
    expect(await store.get('products', 'p2')).toMatchObject({ data: { i: 2, version: 4 }, sync_version: 4 });
  });

  it('a record made on the device before its first sync is merged, not packed over', async () => {
    const { db, store } = setup();
    await store.put('products', 'p5', { price: 1, name: 'made offline' });
    await store.applyPage(page(300, 1), 'a', true);
    expect(await store.get('products', 'p5')).toMatchObject({ data: { name: 'made offline' }, base: { sync_version: 1 } });
    const packed = (await db.packs.toArray()).flatMap((p) => p.rows.map((r) => r.record_id));
    expect(packed).toHaveLength(299);
    expect(packed).not.toContain('p5');
  });

  it('another tab reads which records are packed again once this one packed more', async () => {
    const name = uniqueName('tabs');
    const a = setup(name);
    const b = setup(name);
    expect(await b.store.get('products', 'p1')).toBeUndefined(); // b has read the packs: none
    await a.store.applyPage(page(300, 5), 'a', true);
    // b applies a late, older event of a record a packed: it must see the packed copy.
    expect(await b.store.apply(change('products', 'p1', 4, { late: true }))).toBe(false);
    expect(await b.store.get('products', 'p1')).toMatchObject({ sync_version: 5 });
    expect(await b.db.records.count()).toBe(0);
  });

  it('counters of a packed record show pending increments and take the server value', async () => {
    const { store } = setup();
    const stock = Array.from({ length: 300 }, (_, i) => change('product_stock', `s${i}`, 1, { product_id: `p${i}`, quantity: 10 }));
    await store.applyPage(stock, 'a', true);
    await store.increment('product_stock', 's3', { quantity: -2 });
    expect(await store.get('product_stock', 's3')).toMatchObject({ data: { quantity: 8 } });
    expect((await store.list('product_stock')).find((r) => r.record_id === 's3')).toMatchObject({ data: { quantity: 8 } });
  });
});
