import { describe, expect, it } from 'vitest';
import { allCopies } from '../src/copies.js';
import { META, openDatabase } from '../src/db.js';
import { LocalStore } from '../src/LocalStore.js';
import { uniqueName, until } from './fakes.js';

function setup() {
  const db = openDatabase(uniqueName('store'));
  const commits: Array<{ tables: string[]; local: boolean }> = [];
  const store = new LocalStore(db, (tables, local) => commits.push({ tables, local }));
  return { db, store, commits };
}

const change = (id: string, version: number, data: object = { v: version }) => ({
  table_name: 'products',
  record_id: id,
  data,
  is_deleted: false,
  sync_version: version,
  server_updated_at: '2025-01-01T00:00:00Z',
});

describe('local writes', () => {
  it('write the record and its outbox entry in one transaction', async () => {
    const { db, store, commits } = setup();
    await store.put('products', 'p1', { name: 'Tea', price: 3 });
    expect(await store.get('products', 'p1')).toMatchObject({ data: { name: 'Tea', price: 3 }, sync_version: 0, is_deleted: false });
    const outbox = await db.outbox.toArray();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ table_name: 'products', record_id: 'p1', data: { name: 'Tea', price: 3 }, is_deleted: false });
    expect(outbox[0]!.base_version).toBeUndefined();
    expect(commits).toEqual([{ tables: ['products'], local: true }]);
  });

  it('an abort mid-transaction leaves neither the row nor the outbox entry', async () => {
    const { db, store, commits } = setup();
    await expect(
      store.write(async (w) => {
        await w.put('invoices', 'i1', { total: 10 });
        await w.put('invoice_items', 'i1-1', { invoice_id: 'i1', product_id: 'p1', quantity: 1, price: 10 });
        throw new Error('till crashed');
      }),
    ).rejects.toThrow('till crashed');
    expect(await db.records.count()).toBe(0);
    expect(await db.outbox.count()).toBe(0);
    expect(commits).toEqual([]);
  });

  it('several writes commit together, in order', async () => {
    const { db, store } = setup();
    await store.write(async (w) => {
      await w.put('invoices', 'i1', { total: 10 });
      await w.put('invoice_items', 'i1-1', { invoice_id: 'i1', product_id: 'p1', quantity: 1, price: 10 });
      await w.delete('products', 'old');
    });
    const outbox = await db.outbox.orderBy('seq').toArray();
    expect(outbox.map((e) => e.record_id)).toEqual(['i1', 'i1-1', 'old']);
    expect(outbox[2]!.is_deleted).toBe(true);
    const stamps = outbox.map((e) => Date.parse(e.local_updated_at));
    expect(stamps[0]! < stamps[1]! && stamps[1]! < stamps[2]!).toBe(true);
  });

  it('edit times strictly increase even when the clock does not move', async () => {
    const db = openDatabase(uniqueName('clock'));
    const store = new LocalStore(db, () => {}, () => 1_700_000_000_000);
    await store.put('products', 'a', { name: 'P', price: 1, n: 1 });
    await store.put('products', 'a', { name: 'P', price: 1, n: 2 });
    const [first, second] = await db.outbox.orderBy('seq').toArray();
    expect(Date.parse(second!.local_updated_at)).toBeGreaterThan(Date.parse(first!.local_updated_at));
  });

  it('an edit of a synced record carries base_version and remembers the server state', async () => {
    const { db, store } = setup();
    await store.apply(change('p1', 4, { name: 'P', price: 1 }));
    await store.patch('products', 'p1', { price: 2 });
    const [entry] = await db.outbox.toArray();
    expect(entry!.base_version).toBe(4);
    expect(entry!.data).toEqual({ name: 'P', price: 2 });
    expect((await store.get('products', 'p1'))!.base).toEqual({ data: { name: 'P', price: 1 }, is_deleted: false, sync_version: 4 });
  });
});

describe('applying server changes', () => {
  it('is idempotent by sync_version: never an older or equal version', async () => {
    const { store } = setup();
    expect(await store.apply(change('p1', 2, { name: 'v2' }))).toBe(true);
    expect(await store.apply(change('p1', 2, { name: 'again' }))).toBe(false);
    expect(await store.apply(change('p1', 1, { name: 'older' }))).toBe(false);
    expect((await store.get('products', 'p1'))!.data).toEqual({ name: 'v2' });
    expect(await store.apply(change('p1', 3, { name: 'v3' }))).toBe(true);
    expect((await store.get('products', 'p1'))!).toMatchObject({ data: { name: 'v3' }, sync_version: 3 });
  });

  it('leaves a record with a queued local edit alone (the push decides first)', async () => {
    const { store } = setup();
    await store.put('products', 'p1', { price: 1, name: 'mine' });
    expect(await store.apply(change('p1', 5, { name: 'theirs' }))).toBe(false);
    const record = (await store.get('products', 'p1'))!;
    expect(record.data).toEqual({ price: 1, name: 'mine' });
    expect(record.base).toEqual({ data: { name: 'theirs' }, is_deleted: false, sync_version: 5 });
  });

  it('applies a page in order: a record twice keeps its newest, a queued one only moves its base', async () => {
    const { store } = setup();
    await store.put('products', 'mine', { price: 1, name: 'local' });
    const touched = await store.applyPage(
      [change('p1', 2, { name: 'v2' }), change('p1', 3, { name: 'v3' }), change('p1', 1, { name: 'v1' }), change('mine', 4, { name: 'theirs' }), change('mine', 2)],
      '9',
    );
    expect(touched).toEqual(['products']);
    expect((await store.get('products', 'p1'))!).toMatchObject({ data: { name: 'v3' }, sync_version: 3 });
    const mine = (await store.get('products', 'mine'))!;
    expect(mine.data).toEqual({ price: 1, name: 'local' });
    expect(mine.base).toEqual({ data: { name: 'theirs' }, is_deleted: false, sync_version: 4 });
  });

  it('writes a page and its cursor in one transaction', async () => {
    const { db, store, commits } = setup();
    expect(await store.applyPage([change('a', 1), change('b', 1)], '2')).toEqual(['products']);
    expect(await store.cursor()).toBe('2');
    expect(commits.at(-1)).toEqual({ tables: ['products'], local: false });
    // A page that fails half-way (a change without an id cannot be stored) keeps nothing.
    const bad = { ...change('c', 1), record_id: undefined as unknown as string };
    await expect(store.applyPage([change('d', 1), bad], '4')).rejects.toThrow();
    expect(await store.get('products', 'd')).toBeUndefined();
    expect(await store.cursor()).toBe('2');
    expect((await db.meta.get(META.cursor))!.value).toBe('2');
  });
});

describe('pages of many changes', () => {
  const many = (n: number, version: number, prefix = 'r') => Array.from({ length: n }, (_, i) => change(`${prefix}${i}`, version, { i, version }));

  it('adds records the device lacks and merges the ones it holds, across slices', async () => {
    const { db, store, commits } = setup();
    await store.applyPage([change('r5', 2, { old: true }), change('r700', 9, { newer: true })], '1');
    await store.put('products', 'r900', { price: 1, name: 'mine' });
    const page = many(1_200, 3);
    page.push(change('r10', 4, { again: true })); // the same record later in the page
    expect(await store.applyPage(page, '2', true)).toEqual(['products']);
    expect(await allCopies(db)).toHaveLength(1_200);
    expect((await store.get('products', 'r0'))!).toMatchObject({ data: { i: 0, version: 3 }, sync_version: 3 });
    expect((await store.get('products', 'r5'))!).toMatchObject({ data: { i: 5, version: 3 }, sync_version: 3 });
    expect((await store.get('products', 'r700'))!).toMatchObject({ data: { newer: true }, sync_version: 9 });
    expect((await store.get('products', 'r10'))!).toMatchObject({ data: { again: true }, sync_version: 4 });
    const mine = (await store.get('products', 'r900'))!;
    expect(mine.data).toEqual({ price: 1, name: 'mine' });
    expect(mine.base).toMatchObject({ sync_version: 3 });
    expect(await store.cursor()).toBe('2');
    expect((await db.meta.get(META.firstSyncDone))?.value).toBe(true);
    expect(commits.filter((c) => !c.local)).toHaveLength(2); // one change event a page
  });

  it('a resync over a full store keeps the newest of each record', async () => {
    const { store } = setup();
    await store.applyPage(many(1_100, 2), '1');
    const resync = many(1_100, 1);
    resync[1_050] = change('r1050', 3, { fresh: true });
    expect(await store.applyPage(resync, '2')).toEqual(['products']);
    expect((await store.get('products', 'r0'))!).toMatchObject({ data: { i: 0, version: 2 }, sync_version: 2 });
    expect((await store.get('products', 'r1050'))!).toMatchObject({ data: { fresh: true }, sync_version: 3 });
    expect(await store.applyPage(many(1_100, 1), '3')).toEqual([]);
  });

  it('lists a table by its part of the key', async () => {
    const { store } = setup();
    await store.applyPage([change('a', 1), { ...change('a', 1), table_name: 'customers' }, { ...change('z', 1), table_name: 'product_stock' }], '1');
    expect((await store.list('products')).map((r) => r.record_id)).toEqual(['a']);
    expect((await store.list('customers')).map((r) => r.table_name)).toEqual(['customers']);
    expect(await store.list('product')).toEqual([]);
  });

  it('a database of schema 2 keeps its records when the table index goes', async () => {
    const name = uniqueName('v2');
    const { Dexie } = await import('dexie');
    const old = new Dexie(name);
    old.version(2).stores({
      records: '[table_name+record_id], table_name',
      outbox: '++seq, [table_name+record_id], [rank+seq]',
      rejected: 'seq, [table_name+record_id]',
      conflicts: '[table_name+record_id], detected_at',
      meta: 'key',
      sentIncrements: 'edit_id, [table_name+record_id]',
    });
    await old.table('records').add({ table_name: 'products', record_id: 'kept', data: { n: 1 }, is_deleted: false, sync_version: 1 });
    old.close();
    const db = openDatabase(name);
    const store = new LocalStore(db);
    expect((await store.list('products')).map((r) => r.record_id)).toEqual(['kept']);
    expect(db.verno).toBe(6);
    expect(db.records.schema.indexes.map((i) => i.name)).toEqual(['terms']);
    db.close();
  });

  it('keeps the cursor for the same tables and drops it for others', async () => {
    const { store } = setup();
    expect(await store.useTables('*')).toBe(false);
    await store.applyPage([change('a', 1)], '7', true);
    expect(await store.useTables('*')).toBe(true);
    expect(await store.cursor()).toBe('7');
    expect(await store.useTables('customers,products')).toBe(false);
    expect(await store.cursor()).toBeUndefined();
    expect(await store.get('products', 'a')).toBeDefined();
  });
});

describe('the database connection', () => {
  it('is reopened when the browser drops it', async () => {
    let problem = '';
    const db = openDatabase(uniqueName('drop'), (m) => (problem = m));
    const store = new LocalStore(db);
    await store.put('products', 'a', { name: 'P', price: 1, n: 1 });
    // What IndexedDB does when the browser closes a connection (storage cleared, disk error).
    db.backendDB().onclose!(new Event('close'));
    await until(() => db.isOpen());
    await store.put('products', 'b', { name: 'P', price: 1, n: 2 });
    expect(await db.outbox.count()).toBe(2);
    expect(problem).toBe('');
  });

  it('is reopened when the browser drops it, also after it was closed and opened again', async () => {
    const db = openDatabase(uniqueName('drop-again'));
    await db.open();
    db.close(); // an engine's stop()
    await db.open(); // and start()
    db.backendDB().onclose!(new Event('close'));
    await until(() => db.isOpen());
    await new LocalStore(db).put('products', 'a', { name: 'P', price: 1, n: 1 });
    expect(await db.outbox.count()).toBe(1);
  });

  it('closes for another tab\'s upgrade instead of blocking it, and reports it', async () => {
    const name = uniqueName('upgrade');
    let problem = '';
    const db = openDatabase(name, (m) => (problem = m));
    await db.open();
    const { Dexie } = await import('dexie');
    const newer = new Dexie(name);
    newer.version(6).stores({ records: '[table_name+record_id], *terms', extra: 'id' });
    await newer.open(); // would hang if the old connection did not close
    expect(newer.verno).toBe(6);
    await until(() => problem !== '');
    expect(problem).toMatch(/upgraded/);
    await until(() => db.isOpen());
    expect(await db.records.count()).toBe(0);
    newer.close();
  });
});
