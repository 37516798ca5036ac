/**
 * Reconciling after the server lost changes (a restore from a backup, a promoted replica):
 * the drill with two tills, the window of acknowledged edits, and a replacing resync that
 * survives a reload.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { META, openDatabase } from '../src/db.js';
import type { SyncEngineOptions } from '../src/engineOptions.js';
import { LocalStore } from '../src/LocalStore.js';
import { REPLAY_WINDOW_MS } from '../src/reconcile.js';
import type { SyncEngine } from '../src/SyncEngine.js';
import { TABLES } from '../src/tables.js';
import { FakeIngest, startEngine, uniqueName } from './fakes.js';

const engines: SyncEngine[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

async function till(server: FakeIngest, deviceId: string, extra: Partial<SyncEngineOptions> = {}) {
  const e = await startEngine(server, engines, { deviceId, dbName: uniqueName(deviceId), ...extra });
  await e.login('cashier1', 'password');
  await e.sync();
  return e;
}

/** The live records a till holds, as `table/id` → data. */
async function held(e: SyncEngine): Promise<Record<string, unknown>> {
  const all: Record<string, unknown> = {};
  for (const table of TABLES) for (const r of await e.list(table)) all[`${table}/${r.record_id}`] = r.data;
  return all;
}

/** The live records the server holds, as `held` lists them. */
function serverHeld(server: FakeIngest): Record<string, unknown> {
  const all: Record<string, unknown> = {};
  for (const [key, row] of server.rows) if (!row.is_deleted) all[key] = row.data;
  return all;
}

const dataOf = (server: FakeIngest, key: string) => server.rows.get(key)?.data as Record<string, unknown> | undefined;

/** The records of the server's changes since the log held `from`, `table/id` each. */
const changedSince = (server: FakeIngest, from: number) => server.log.slice(from).map((c) => `${c.table_name}/${c.record_id}`).sort();

/** The record ids pushed since call `from`. */
const pushedSince = (server: FakeIngest, from: number) =>
  server.calls.slice(from).filter((c) => c.path === '/api/sync/batch-push').flatMap((c) => c.body.records.map((r: { record_id: string }) => r.record_id));

describe('after the server lost changes', () => {
  it('every acknowledged write of the tills is back once, the lost till’s record goes, and the tills equal the server', async () => {
    const server = new FakeIngest();
    const a = await till(server, 'till-a');
    const b = await till(server, 'till-b');
    const burnt = await till(server, 'till-burnt');
    await a.put('products', 'p1', { name: 'شاي', price: 2 });
    await a.put('product_stock', 'tea', { product_id: 'p1', quantity: 100 });
    await a.sync();
    await b.sync();
    const backup = server.backup();

    // Acknowledged after the backup: a new invoice, a price change and a sale on each till,
    // and a product from a till that is then lost for good.
    await a.put('invoices', 'inv-a1', { total: 6, note: 'فاتورة' });
    await a.put('products', 'p1', { name: 'شاي', price: 3 });
    await a.increment('product_stock', 'tea', { quantity: -2 });
    await b.put('invoices', 'inv-b1', { total: 15 });
    await b.increment('product_stock', 'tea', { quantity: -5 });
    await burnt.put('products', 'p-lost', { name: 'lost', price: 1 });
    for (const e of [a, b, burnt, a]) await e.sync();
    expect(dataOf(server, 'product_stock/tea')?.quantity).toBe(93);
    expect(await a.get('products', 'p-lost')).toBeDefined();
    await burnt.stop();

    server.restore(backup);
    const restoredAt = server.log.length;
    expect(dataOf(server, 'invoices/inv-a1')).toBeUndefined();
    expect(dataOf(server, 'product_stock/tea')?.quantity).toBe(100);

    // Each till's sync is refused its cursor, pushes its acknowledged edits again and
    // resyncs; a second round brings each the other's.
    for (let round = 0; round < 2; round++) for (const e of [a, b]) await e.sync();

    expect(dataOf(server, 'invoices/inv-a1')).toEqual({ total: 6, note: 'فاتورة' });
    expect(dataOf(server, 'invoices/inv-b1')).toEqual({ total: 15 });
    expect(dataOf(server, 'products/p1')?.price).toBe(3);
    expect(dataOf(server, 'product_stock/tea')?.quantity).toBe(93);
    expect(changedSince(server, restoredAt), 'the edits the backup held came back as retries').toEqual([
      'invoices/inv-a1',
      'invoices/inv-b1',
      'product_stock/tea',
      'product_stock/tea',
      'products/p1',
    ]);
    expect(server.rows.has('products/p-lost')).toBe(false);
    expect(Object.keys(serverHeld(server)).sort()).toEqual(['invoices/inv-a1', 'invoices/inv-b1', 'product_stock/tea', 'products/p1']);
    for (const e of [a, b]) {
      expect(await held(e)).toEqual(serverHeld(server));
      expect(await e.verify()).toEqual({ kind: 'equal', tables: TABLES.length });
      expect([await e.store.pendingEdits(), await e.rejected(), await e.conflicts()]).toEqual([0, [], []]);
    }
  });

  it('pushes again the acknowledged edits of the last 3 days, never refused ones, and forgets older ones', async () => {
    const server = new FakeIngest();
    const e = await till(server, 'till-1');
    const backup = server.backup();
    await e.put('invoices', 'old', { total: 1 });
    await e.put('invoices', 'fresh', { total: 2 });
    await e.put('products', 'refused', { name: 'x', price: 1, invalid: true }); // the fake refuses it
    await e.sync();
    const journal = async () => (await e.db.acknowledged.toArray()).map((edit) => edit.record_id);
    expect(await journal()).toEqual(['old', 'fresh']);
    const age = (id: string) =>
      e.db.acknowledged.filter((edit) => edit.record_id === id).modify({ acknowledged_at: Date.now() - REPLAY_WINDOW_MS - 60_000 });
    await age('old');

    server.restore(backup);
    const from = server.calls.length;
    await e.sync();

    expect(pushedSince(server, from)).toEqual(['fresh']);
    expect(dataOf(server, 'invoices/fresh')).toEqual({ total: 2 });
    expect(server.rows.has('invoices/old')).toBe(false);
    expect(await e.get('invoices', 'old'), 'the till holds what the server holds').toBeUndefined();
    expect(await journal()).toEqual(['fresh']); // acknowledged again
    await age('fresh');
    await e.put('invoices', 'next', { total: 3 });
    await e.sync();
    expect(await journal()).toEqual(['next']);
  });

  it('a replacing resync cut off by a reload resumes replacing and drops what the server no longer holds', async () => {
    const server = new FakeIngest();
    for (let i = 0; i < 400; i++) server.serverWrite('customers', `c${i}`, { name: `c${i}` });
    const backup = server.backup();
    for (let i = 400; i < 600; i++) server.serverWrite('customers', `c${i}`, { name: `c${i}` });
    server.serverWrite('customers', 'c0', { name: 'renamed after the backup' });
    const dbName = uniqueName('resume');
    const options = { dbName, catchUpLimit: 300 }; // pages of 300: their new records are packed
    let e = await till(server, 'till-1', options);
    expect(await e.db.packs.count()).toBeGreaterThan(0);
    expect(await e.list('customers')).toHaveLength(600);

    server.restore(backup);
    for (let i = 600; i < 700; i++) server.serverWrite('customers', `c${i}`, { name: `c${i}` });
    let down = true; // every page after the first of the resync
    server.overrides.push((call) =>
      down && call.path.startsWith('/api/sync/pull-changes') && call.path.includes('cursor=1') ? new Response('down', { status: 503 }) : undefined,
    );
    await expect(e.sync()).rejects.toThrow();
    expect(await e.store.cursor()).toBe('1:300'); // one page of the resync stored
    await e.stop();
    down = false;
    e = await till(server, 'till-1', options); // the reload: its first sync resumes

    const customers = await e.list('customers');
    expect(customers.map((r) => r.record_id).sort()).toEqual(
      [...Array(400).keys(), ...Array.from({ length: 100 }, (_, i) => 600 + i)].map((i) => `c${i}`).sort(),
    );
    expect((await e.get('customers', 'c0'))!.data, 'an older version of the server’s replaces the copy').toEqual({ name: 'c0' });
    expect(await e.db.unseen.count()).toBe(0);
    expect(await e.verify()).toEqual({ kind: 'equal', tables: TABLES.length });
  });
});

describe('a replacing resync in the store', () => {
  const product = (id: string, version: number, name: string) => ({
    table_name: 'products',
    record_id: id,
    data: { name, price: 1 },
    is_deleted: false,
    sync_version: version,
    server_updated_at: '2025-01-01T00:00:00Z',
  });

  it('takes every version that differs from the copy, and its last page drops the unseen records but those with an edit queued', async () => {
    const db = openDatabase(uniqueName('replace'));
    const store = new LocalStore(db);
    const copies = [product('older', 5, 'v5'), product('renamed', 2, 'before'), product('gone', 1, 'gone'), product('edited', 1, 'server')];
    await store.applyPage(copies, '9', true);
    await store.put('products', 'edited', { name: 'local', price: 2 });
    await store.put('products', 'mine', { name: 'mine', price: 3 });

    expect(await store.reconcile(undefined)).toEqual({ requeued: 0, held: 5 });
    expect(await store.cursor()).toBeUndefined();
    await store.applyPage([product('older', 3, 'v3'), product('renamed', 2, 'after')], '1:2');
    expect((await store.get('products', 'older'))!.data).toEqual({ name: 'v3', price: 1 });
    expect(await store.get('products', 'gone'), 'dropped only when the resync reaches the head').toBeDefined();
    await store.applyPage([product('edited', 1, 'server again')], '1:3', true);

    const names = Object.fromEntries((await store.list('products')).map((r) => [r.record_id, [r.sync_version, r.data!.name]]));
    expect(names).toEqual({ older: [3, 'v3'], renamed: [2, 'after'], edited: [1, 'local'], mine: [0, 'mine'] });
    expect((await db.records.get(['products', 'edited']))!.base).toMatchObject({ sync_version: 1, data: { name: 'server again' } });
    expect(await db.meta.get(META.replacing)).toBeUndefined();
    db.close();
  });
});
