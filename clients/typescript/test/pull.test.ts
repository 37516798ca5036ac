/**
 * Catch-up pulls through the engine: large pages far behind and small ones near the head,
 * progress (also in another tab) and the first full sync kept across restarts, and a till
 * that syncs only some tables.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncEngineOptions } from '../src/engineOptions.js';
import { SyncEngine } from '../src/SyncEngine.js';
import type { SyncProgress } from '../src/pull.js';
import { TABLES } from '../src/tables.js';
import { FakeIngest, FakeWebSocket, startEngine, uniqueName, until } from './fakes.js';

const engines: SyncEngine[] = [];

/** An engine pulling in small pages (10 near the head, 100 catching up); it may be a second tab. */
const engine = (server: FakeIngest, extra: Partial<SyncEngineOptions> = {}) =>
  startEngine(server, engines, { dbName: uniqueName('pull'), pullLimit: 10, catchUpLimit: 100, ...extra }, false);

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

const pullParams = (server: FakeIngest) =>
  server.callsTo('/api/sync/pull-changes').map((c) => Object.fromEntries(new URL(c.path, 'http://x').searchParams));

function write(server: FakeIngest, table: string, count: number, from = 0) {
  for (let i = from; i < from + count; i++) server.serverWrite(table, `${table}-${i}`, { i });
}

async function loggedIn(e: SyncEngine) {
  await until(() => e.status.leader);
  await e.login('cashier1', 'password');
  await until(() => !e.status.syncing && e.status.lastSyncAt !== null);
}

describe('catch-up', () => {
  it('takes large pages from scratch and after a full page, small ones near the head', async () => {
    const server = new FakeIngest();
    write(server, 'customers', 250);
    const e = await engine(server);
    await loggedIn(e);
    expect(pullParams(server).map((p) => [p.limit, p.cursor])).toEqual([
      ['100', undefined],
      ['100', '100'],
      ['100', '200'],
    ]);
    write(server, 'customers', 5, 250);
    await e.sync();
    expect(pullParams(server).slice(3).map((p) => [p.limit, p.cursor])).toEqual([['10', '250']]);
    write(server, 'customers', 25, 255);
    await e.sync();
    // The first page came back full: the rest is a catch-up.
    expect(pullParams(server).slice(4).map((p) => [p.limit, p.cursor])).toEqual([
      ['10', '255'],
      ['100', '265'],
    ]);
    expect(await e.list('customers')).toHaveLength(280);
  });

  it('reports progress to the total, keeps the first sync done, and stays quiet near the head', async () => {
    const server = new FakeIngest();
    write(server, 'products', 230);
    const dbName = uniqueName('progress');
    const e = await engine(server, { dbName });
    const seen: SyncProgress[] = [];
    e.on('progress', (p) => seen.push(p));
    expect(e.progress).toEqual({ catchingUp: false, pulled: 0, firstSyncDone: false });
    await loggedIn(e);
    expect(seen).toEqual([
      { catchingUp: true, pulled: 0, firstSyncDone: false },
      { catchingUp: true, pulled: 100, firstSyncDone: false },
      { catchingUp: true, pulled: 200, firstSyncDone: false },
      { catchingUp: false, pulled: 230, firstSyncDone: true },
    ]);
    expect(e.progress).toEqual(seen.at(-1));
    write(server, 'products', 3, 230);
    await e.sync();
    expect(seen).toHaveLength(4);
    await e.stop();
    const again = await engine(server, { dbName });
    expect(again.progress.firstSyncDone).toBe(true);
  });

  it('an empty scope is a first sync done; pulls from scratch after it report nothing', async () => {
    const server = new FakeIngest();
    const e = await engine(server);
    const seen: SyncProgress[] = [];
    e.on('progress', (p) => seen.push(p));
    await loggedIn(e);
    expect(seen.at(-1)).toEqual({ catchingUp: false, pulled: 0, firstSyncDone: true });
    const count = seen.length;
    write(server, 'products', 2);
    await e.sync();
    expect(pullParams(server).at(-1)).toEqual({ limit: '100' }); // no cursor yet: a large page
    expect(seen).toHaveLength(count);
    expect(await e.list('products')).toHaveLength(2);
  });

  it('a sync cut off half-way is not a first sync done; the next one finishes it', async () => {
    const server = new FakeIngest();
    write(server, 'products', 150);
    let down = true; // for every page after the first
    server.overrides.push((call) =>
      down && call.path.startsWith('/api/sync/pull-changes') && call.path.includes('cursor=') ? new Response('down', { status: 503 }) : undefined,
    );
    const e = await engine(server);
    await until(() => e.status.leader);
    await e.login('cashier1', 'password');
    await until(() => e.status.lastError !== null && !e.status.syncing);
    expect(e.progress).toEqual({ catchingUp: false, pulled: 100, firstSyncDone: false });
    expect(await e.store.cursor()).toBe('100');
    down = false;
    await e.sync();
    expect(e.progress).toEqual({ catchingUp: false, pulled: 50, firstSyncDone: true });
    expect(await e.list('products')).toHaveLength(150);
  });

  it('a follower tab sees the leader’s progress', async () => {
    const server = new FakeIngest();
    write(server, 'products', 120);
    const dbName = uniqueName('tabs');
    const lease = { forceLease: true, leaseMs: 1500 };
    const leader = await engine(server, { dbName, leader: lease });
    await until(() => leader.status.leader);
    const follower = await engine(server, { dbName, leader: lease });
    const seen: SyncProgress[] = [];
    follower.on('progress', (p) => seen.push(p));
    await follower.login('cashier1', 'password');
    await until(() => follower.progress.firstSyncDone);
    expect(follower.isLeader()).toBe(false);
    expect(seen.at(-1)).toEqual({ catchingUp: false, pulled: 120, firstSyncDone: true });
  });
});

describe('a subset of tables', () => {
  it('asks for its tables on every pull and stores only them', async () => {
    const server = new FakeIngest();
    write(server, 'products', 30);
    write(server, 'invoices', 30);
    write(server, 'customers', 30);
    const e = await engine(server, { tables: ['products', 'customers', 'products'] });
    await loggedIn(e);
    write(server, 'customers', 1, 30);
    await e.sync();
    expect(pullParams(server).map((p) => p.tables)).toEqual(['customers,products', 'customers,products']);
    expect(await e.list('products')).toHaveLength(30);
    expect(await e.list('customers')).toHaveLength(31);
    expect(await e.list('invoices')).toHaveLength(0);
  });

  it('pulls from scratch when the set of tables changes, keeping what it holds', async () => {
    const server = new FakeIngest();
    write(server, 'products', 20);
    write(server, 'invoices', 20);
    const dbName = uniqueName('subset');
    const first = await engine(server, { dbName, tables: ['products'] });
    await loggedIn(first);
    expect(first.progress.firstSyncDone).toBe(true);
    await first.stop();
    let before = pullParams(server).length;
    const wider = await engine(server, { dbName, tables: ['products', 'invoices'] });
    expect(wider.progress.firstSyncDone).toBe(false);
    await until(() => wider.status.leader);
    await wider.sync(); // (the stored session also starts one by itself)
    expect(pullParams(server)[before]).toEqual({ tables: 'invoices,products', limit: '100' });
    expect(await wider.list('invoices')).toHaveLength(20);
    expect(await wider.list('products')).toHaveLength(20);
    expect(wider.progress.firstSyncDone).toBe(true);
    // Back to all tables: from scratch again.
    await wider.stop();
    before = pullParams(server).length;
    const all = await engine(server, { dbName });
    await until(() => all.status.leader);
    await all.sync();
    expect(pullParams(server)[before]).toEqual({ limit: '100' });
  });

  it('refuses unknown tables, naming them and the synced ones (the server’s 31)', () => {
    const make = (tables: string[]) => () => new SyncEngine({ apiUrl: 'http://x', deviceId: 'd', tables });
    expect(make(['products', 'prodcuts'])).toThrow(/unknown table "prodcuts" in tables; the synced tables are products, product_categories/);
    expect(make([])).toThrow(/no table in tables/);
    const document = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
    const table = document.paths['/api/{table}'].get.parameters.find((p: { name: string }) => p.name === 'table');
    expect([...TABLES]).toEqual(table.schema.enum);
  });

  it('ignores realtime events of other tables', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { tables: ['products'], wsUrl: 'ws://fanout.test', WebSocket: FakeWebSocket as unknown as typeof WebSocket });
    await loggedIn(e);
    await until(() => FakeWebSocket.instances.length > 0);
    const socket = FakeWebSocket.last();
    socket.open();
    const event = (table: string, seq: number) => ({
      type: 'sync', room: '1:1', table_name: table, record_id: `${table}-x`, operation: 'create', data: { n: 1 }, is_deleted: false,
      sync_version: 1, server_updated_at: '2025-01-01T00:00:00Z', client_id: 1, branch_id: 1, position: seq, scope_seq: seq, source_device_id: 'till-2',
    });
    socket.receive(event('invoices', 1));
    socket.receive(event('products', 2));
    await until(async () => (await e.get('products', 'products-x')) !== undefined);
    expect(await e.get('invoices', 'invoices-x')).toBeUndefined();
  });
});
