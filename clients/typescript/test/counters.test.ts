/** Counters on the device: increments shown at once and rebased as server values arrive. */
import { readFile } from 'node:fs/promises';
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { addIncrements, COUNTERS, ownVersion } from '../src/counters.js';
import { openDatabase } from '../src/db.js';
import { LocalStore } from '../src/LocalStore.js';
import { SyncEngine } from '../src/SyncEngine.js';
import { SyncQueue } from '../src/SyncQueue.js';
import type { PushResponse } from '../src/types.js';
import { FakeIngest, FakeWebSocket, json, startEngine, uniqueName, until } from './fakes.js';

function setup() {
  const db = openDatabase(uniqueName('counters'));
  const commits: Array<{ tables: string[]; local: boolean }> = [];
  const store = new LocalStore(db, (tables, local) => commits.push({ tables, local }));
  const queue = new SyncQueue(db, store);
  return { db, store, queue, commits };
}

const stock = (version: number, quantity: number | null, extra: object = {}) => ({
  table_name: 'product_stock',
  record_id: 's1',
  data: { product_id: 'p1', quantity, ...extra },
  is_deleted: false,
  sync_version: version,
  server_updated_at: '2025-01-01T00:00:00Z',
});

/** A push answer that took every record of the batch at the given versions. */
const took = (...versions: number[]): PushResponse => ({
  success: true,
  synced_count: versions.length,
  conflicts: [],
  errors: [],
  versions: versions.map((sync_version, index) => ({ index, sync_version })),
});

type Setup = ReturnType<typeof setup>;
const shown = async ({ store }: Setup) => (await store.get('product_stock', 's1'))!.data!.quantity;
const copy = async ({ db }: Setup) => (await db.records.get(['product_stock', 's1']))!;

/** Pushes the whole outbox, answered by `answer`. */
async function push(s: Setup, answer: PushResponse) {
  const batch = await s.queue.next();
  return s.queue.settle(batch, answer);
}

describe('increments on the device', () => {
  it('show at once in get, list and inside a write; the copy and the outbox entry stay apart', async () => {
    const s = setup();
    await s.store.apply(stock(1, 10));
    await s.store.increment('product_stock', 's1', { quantity: -1 });
    expect(await shown(s)).toBe(9);
    expect((await s.store.list('product_stock'))[0]!.data!.quantity).toBe(9);
    expect(await s.store.write((w) => w.get('product_stock', 's1'))).toMatchObject({ data: { quantity: 9 } });
    expect((await copy(s)).data!.quantity).toBe(10);
    const [entry] = await s.db.outbox.toArray();
    expect(entry).toMatchObject({ data: null, increments: { quantity: -1 }, base_version: 1, is_deleted: false });
    expect(entry!.edit_id).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
    expect(SyncQueue.toPush(entry!)).toEqual({
      table_name: 'product_stock',
      record_id: 's1',
      data: null,
      increments: { quantity: -1 },
      edit_id: entry!.edit_id,
      base_version: 1,
      local_updated_at: entry!.local_updated_at,
      is_deleted: false,
    });
    expect(s.commits.at(-1)).toEqual({ tables: ['product_stock'], local: true });
    await s.store.increment('product_stock', 's1', { quantity: -2 });
    expect(await shown(s)).toBe(7);
    const ids = (await s.db.outbox.toArray()).map((e) => e.edit_id);
    expect(new Set(ids).size).toBe(2); // one id per edit
  });

  it('after a push the value stays right: the sent increment shows until the copy holds its version', async () => {
    const s = setup();
    await s.store.apply(stock(1, 10));
    await s.store.increment('product_stock', 's1', { quantity: -1 });
    await push(s, took(2));
    expect(await s.db.outbox.count()).toBe(0);
    expect(await s.db.sentIncrements.toArray()).toMatchObject([{ record_id: 's1', increments: { quantity: -1 }, version: 2 }]);
    expect(await shown(s)).toBe(9);
    await s.store.applyPage([stock(2, 9)], '1'); // the pull brings the version holding it
    expect(await shown(s)).toBe(9);
    expect(await s.db.sentIncrements.count()).toBe(0);
  });

  it('another till’s change older than the sent version keeps it on top; one as new or newer drops it', async () => {
    const s = setup();
    await s.store.apply(stock(1, 10));
    await s.store.increment('product_stock', 's1', { quantity: -1 });
    await push(s, took(3)); // another till's sale of 2 was version 2
    expect(await shown(s)).toBe(9);
    await s.store.applyChanges([stock(2, 8)]); // that sale, without ours
    expect(await shown(s)).toBe(7);
    expect(await s.db.sentIncrements.count()).toBe(1);
    await s.store.applyChanges([stock(3, 7)]); // ours on top of it
    expect(await shown(s)).toBe(7);
    expect(await s.db.sentIncrements.count()).toBe(0);
    await s.store.applyChanges([stock(4, 5)]);
    expect(await shown(s)).toBe(5);
  });

  it('queued increments do not hold a server change back: they are rebased on it', async () => {
    const s = setup();
    await s.store.apply(stock(1, 10));
    await s.store.increment('product_stock', 's1', { quantity: -1 });
    expect(await s.store.apply(stock(2, 20))).toBe(true); // a stock count elsewhere
    expect((await copy(s)).sync_version).toBe(2);
    expect(await shown(s)).toBe(19);
    expect((await s.db.outbox.toArray())[0]!.increments).toEqual({ quantity: -1 });
  });

  it('the own marker of a sent increment moves the copy to its version; other markers change nothing', async () => {
    const s = setup();
    await s.store.apply(stock(1, 10));
    await s.store.increment('product_stock', 's1', { quantity: -1 });
    await ownVersion(s.db, 'product_stock', 's1', 2); // before the push answer: still queued
    expect(await copy(s)).toMatchObject({ sync_version: 1, data: { quantity: 10 } });
    await push(s, took(2));
    await ownVersion(s.db, 'product_stock', 's1', 3); // not the version of this increment
    expect(await copy(s)).toMatchObject({ sync_version: 1, data: { quantity: 10 } });
    await ownVersion(s.db, 'product_stock', 's1', 2);
    expect(await copy(s)).toMatchObject({ sync_version: 2, data: { quantity: 9 } });
    expect(await s.db.sentIncrements.count()).toBe(0);
    expect(await shown(s)).toBe(9);
  });

  it('a put that leaves the counter out keeps it, shows pending increments, and does not push it', async () => {
    const s = setup();
    await s.store.apply(stock(1, 10, { warehouse_id: 'w1' }));
    await s.store.increment('product_stock', 's1', { quantity: -1 });
    await s.store.put('product_stock', 's1', { product_id: 'p1', warehouse_id: 'w2' });
    expect((await copy(s)).data).toEqual({ product_id: 'p1', warehouse_id: 'w2', quantity: 10 });
    expect(await shown(s)).toBe(9);
    const [, edit] = await s.db.outbox.orderBy('seq').toArray();
    expect(edit!.data).toEqual({ product_id: 'p1', warehouse_id: 'w2' }); // the server keeps its value
    await s.store.patch('product_stock', 's1', { warehouse_id: 'w3' });
    expect(await shown(s)).toBe(9);
    expect((await s.db.outbox.orderBy('seq').last())!.data).toEqual({ product_id: 'p1', warehouse_id: 'w3' });
  });

  it('a put that sets the counter supersedes earlier increments (still pushed, no longer shown)', async () => {
    const s = setup();
    await s.store.apply(stock(1, 10));
    await s.store.increment('product_stock', 's1', { quantity: -1 });
    await push(s, took(2));
    await s.store.increment('product_stock', 's1', { quantity: -3 });
    expect(await shown(s)).toBe(6);
    await s.store.put('product_stock', 's1', { product_id: 'p1', quantity: 50 }); // a stock count
    expect(await shown(s)).toBe(50);
    expect(await s.db.sentIncrements.count()).toBe(0);
    const [queued, count] = await s.db.outbox.orderBy('seq').toArray();
    expect(queued).toMatchObject({ increments: { quantity: -3 }, counted: false });
    expect(count!.data).toEqual({ product_id: 'p1', quantity: 50 });
    const batch = await s.queue.next();
    expect(batch.map(SyncQueue.toPush).map((r) => r.increments ?? r.data)).toEqual([{ quantity: -3 }, { product_id: 'p1', quantity: 50 }]);
    await s.queue.settle(batch, took(3, 4));
    expect(await s.db.sentIncrements.count()).toBe(0); // the superseded one is not kept as sent
    expect(await shown(s)).toBe(50);
    await s.store.increment('product_stock', 's1', { quantity: -1 }); // later ones count again
    expect(await shown(s)).toBe(49);
  });

  it('bad increments throw a clear error and write nothing', async () => {
    const s = setup();
    await s.store.apply(stock(1, 10));
    await s.store.apply({ ...stock(1, 1), table_name: 'products', data: { name: 'Tea', price: 1 } });
    const bad: Array<[string, string, unknown, string]> = [
      ['product_stock', 's1', { product_id: 1 }, 'increments.product_id: not a counter of product_stock (its counters: quantity)'],
      ['products', 's1', { price: 1 }, 'increments.price: products has no counters'],
      ['product_stock', 's1', { quantity: '1' }, 'increments.quantity must be a number'],
      ['product_stock', 's1', { quantity: Number.NaN }, 'increments.quantity must be a number'],
      ['product_stock', 's1', {}, 'increments must name at least one counter'],
      ['product_stock', 's1', [1], 'increments must be an object of counter names and numbers'],
      ['product_stock', 'nope', { quantity: 1 }, 'no product_stock record nope on this device'],
    ];
    for (const [table, id, increments, message] of bad) {
      await expect(s.store.increment(table, id, increments as never)).rejects.toThrow(message);
    }
    // Inside a write, the error undoes the transaction's other writes too.
    await expect(
      s.store.write(async (w) => {
        await w.put('invoices', 'i1', { total: 1 });
        await w.increment('product_stock', 'nope', { quantity: -1 });
      }),
    ).rejects.toThrow('possync: no product_stock record nope');
    expect(await s.db.outbox.count()).toBe(0);
    expect(await s.store.get('invoices', 'i1')).toBeUndefined();
    expect(await shown(s)).toBe(10);
    expect(s.commits).toEqual([]);
  });

  it('sums keep whole numbers whole and count absent or null as 0', () => {
    expect(addIncrements({ quantity: 10 }, { quantity: -3 })).toEqual({ quantity: 7 });
    expect(addIncrements({}, { quantity: -3 })).toEqual({ quantity: -3 });
    expect(addIncrements({ quantity: null }, { quantity: 2 })).toEqual({ quantity: 2 });
    expect(Number.isInteger(addIncrements({ balance: 1e15 }, { balance: 1 }).balance)).toBe(true);
    expect(addIncrements({ balance: 1.5 }, { balance: 0.25 })).toEqual({ balance: 1.75 });
    expect(addIncrements({ points: 'x' }, { points: 1 })).toEqual({ points: 'x' });
  });

  it('knows the counters the server declares (openapi.json)', async () => {
    const spec = JSON.parse(await readFile(new URL('../openapi.json', import.meta.url), 'utf8'));
    const declared: Record<string, string[]> = {};
    for (const [name, schema] of Object.entries<any>(spec.components.schemas)) {
      if (!name.endsWith('.data')) continue;
      for (const [field, kind] of Object.entries<any>(schema.properties ?? {})) {
        if (JSON.stringify(kind).includes('a counter')) (declared[name.slice(0, -5)] ??= []).push(field);
      }
    }
    expect(Object.fromEntries([...COUNTERS].map(([t, f]) => [t, [...f].sort()]))).toEqual(
      Object.fromEntries(Object.entries(declared).map(([t, f]) => [t, f.sort()])),
    );
  });

  it('a database of the previous schema is upgraded with its outbox kept', async () => {
    const name = uniqueName('v1');
    const old = new Dexie(name);
    old.version(1).stores({
      records: '[table_name+record_id], table_name',
      outbox: '++seq, [table_name+record_id], [rank+seq]',
      rejected: 'seq, [table_name+record_id]',
      conflicts: '[table_name+record_id], detected_at',
      meta: 'key',
    });
    await old.table('outbox').add({ table_name: 'products', record_id: 'a', data: { n: 1 }, is_deleted: false, local_updated_at: 'x', priority: 0, rank: 0, attempts: 0 });
    old.close();
    const db = openDatabase(name);
    await db.open();
    expect(db.verno).toBe(6);
    expect(await db.outbox.count()).toBe(1);
    expect(await db.sentIncrements.count()).toBe(0);
    db.close();
  });
});

describe('increments through the engine', () => {
  const engines: SyncEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
  });

  async function engine(server: FakeIngest, wsUrl?: string) {
    FakeWebSocket.instances = [];
    const socket = wsUrl ? { wsUrl, WebSocket: FakeWebSocket as unknown as typeof WebSocket } : {};
    const e = await startEngine(server, engines, { ...socket, dbName: uniqueName('engine-counters') });
    await e.login('cashier1', 'password');
    await e.sync();
    return e;
  }

  const quantity = async (e: SyncEngine) => (await e.get('product_stock', 's1'))!.data!.quantity;

  it('two tills’ increments add up on the server and each till ends with the sum', async () => {
    const server = new FakeIngest();
    server.serverWrite('product_stock', 's1', { product_id: 'p1', quantity: 10 });
    const e = await engine(server);
    expect(await quantity(e)).toBe(10);
    server.serverIncrement('product_stock', 's1', { quantity: -1 }); // the other till's sale
    await e.increment('product_stock', 's1', { quantity: -1 });
    expect(await quantity(e)).toBe(9);
    await until(() => e.status.pending === 0 && !e.status.syncing);
    await e.sync();
    expect(server.rows.get('product_stock/s1')!.data).toEqual({ product_id: 'p1', quantity: 8 });
    expect(await quantity(e)).toBe(8);
    expect(await e.db.sentIncrements.count()).toBe(0);
    const push = server.callsTo('/api/sync/batch-push').at(-1)!.body.records[0];
    expect(push).toMatchObject({ data: null, increments: { quantity: -1 }, edit_id: expect.any(String) });
  });

  it('an increment the server refuses (no such record there) leaves the queue and stops showing', async () => {
    const server = new FakeIngest();
    const e = await engine(server);
    await e.store.apply(stock(1, 10)); // known here, not on this server
    await e.increment('product_stock', 's1', { quantity: -4 });
    expect(await quantity(e)).toBe(6);
    await until(() => e.status.rejected.length === 1);
    expect(e.status.rejected[0]).toMatchObject({ record_id: 's1', increments: { quantity: -4 } });
    expect(e.status.rejected[0]!.error).toMatch(/no product_stock record s1/);
    expect(await quantity(e)).toBe(10);
    expect(await e.db.sentIncrements.count()).toBe(0);
    // Once the record is on the server, the refused increment may be queued again.
    server.serverWrite('product_stock', 's1', { product_id: 'p1', quantity: 10 });
    await e.retryRejected(e.status.rejected[0]!.seq);
    expect(await quantity(e)).toBe(6);
    await until(() => e.status.pending === 0 && e.status.rejected.length === 0 && !e.status.syncing);
    await e.sync();
    expect(server.rows.get('product_stock/s1')!.data).toEqual({ product_id: 'p1', quantity: 6 });
    expect(await quantity(e)).toBe(6);
  });

  it('the own marker over the socket takes a sent increment into the copy', async () => {
    const server = new FakeIngest();
    server.serverWrite('product_stock', 's1', { product_id: 'p1', quantity: 10 });
    const e = await engine(server, 'ws://fanout.test');
    FakeWebSocket.last().open();
    await until(() => e.status.connection === 'online' && !e.status.syncing);
    // Pulls bring nothing from here on: only the marker can move the copy.
    server.overrides.push((call) => (call.path.startsWith('/api/sync/pull-changes') ? json({ changes: [], has_more: false, next_cursor: null }) : undefined));
    await e.increment('product_stock', 's1', { quantity: -1 });
    await until(async () => (await e.db.sentIncrements.count()) === 1);
    expect((await e.db.records.get(['product_stock', 's1']))!.sync_version).toBe(1);
    FakeWebSocket.last().receive({ type: 'own', room: '1:1', table_name: 'product_stock', record_id: 's1', sync_version: 2, branch_id: 1, position: 1, scope_seq: 1 });
    await until(async () => (await e.db.sentIncrements.count()) === 0);
    expect(await e.db.records.get(['product_stock', 's1'])).toMatchObject({ sync_version: 2, data: { quantity: 9 } });
    expect(await quantity(e)).toBe(9);
  });
});
