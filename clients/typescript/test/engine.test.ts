import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncEngineOptions } from '../src/engineOptions.js';
import { SyncEngine } from '../src/SyncEngine.js';
import { FakeIngest, FakeWebSocket, json, startEngine, uniqueName, until } from './fakes.js';

const engines: SyncEngine[] = [];

/** An engine with a (fake) socket; a second tab of a database (`dbName` given) need not lead. */
const engine = (server: FakeIngest, extra: Partial<SyncEngineOptions> = {}) =>
  startEngine(server, engines, { wsUrl: 'ws://fanout.test', WebSocket: FakeWebSocket as unknown as typeof WebSocket, ...extra }, extra.dbName === undefined);

beforeEach(() => {
  FakeWebSocket.instances = [];
});
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

const pushes = (server: FakeIngest) => server.callsTo('/api/sync/batch-push').map((c) => c.body.records);
const pulls = (server: FakeIngest) => server.callsTo('/api/sync/pull-changes');

describe('push', () => {
  it('offline writes need no token; after login the queue goes in batches of ≤ 50, in order', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { wsUrl: undefined });
    for (let i = 0; i < 120; i++) await e.put('products', `p${String(i).padStart(3, '0')}`, { name: `P${i}`, price: i });
    expect(e.status.auth).toBe('logged_out');
    await until(() => e.status.pending === 120);
    expect(server.calls).toHaveLength(0);
    await e.login('cashier1', 'password');
    await until(() => e.status.pending === 0 && !e.status.syncing);
    const batches = pushes(server);
    expect(batches.map((b: unknown[]) => b.length)).toEqual([50, 50, 20]);
    expect(batches.flat().map((r: { record_id: string }) => r.record_id)).toEqual(
      Array.from({ length: 120 }, (_, i) => `p${String(i).padStart(3, '0')}`),
    );
    expect(e.status.lastSyncAt).not.toBeNull();
  });

  it('pushes higher priority first, each priority in order', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { wsUrl: undefined });
    await e.put('products', 'a', { name: 'P', price: 1, n: 1 });
    await e.put('invoices', 'b', { total: 2 }, { priority: 5 });
    await e.put('products', 'c', { name: 'P', price: 1, n: 3 });
    const batch = await e.queue.next();
    expect(batch.map((b) => b.record_id)).toEqual(['b', 'a', 'c']);
  });

  it('a per-record error takes the record out of the queue, kept aside with its error and rolled back', async () => {
    const server = new FakeIngest();
    server.serverWrite('products', 'p1', { name: 'P', price: 1 });
    const e = await engine(server, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    await e.sync();
    expect((await e.get('products', 'p1'))!.sync_version).toBe(1);
    await e.put('products', 'p1', { name: 'P', price: 1, invalid: true });
    await e.put('products', 'p2', { name: 'P', price: 2 });
    await e.sync();
    expect(e.status.pending).toBe(0);
    expect(e.status.rejected).toHaveLength(1);
    expect(e.status.rejected[0]).toMatchObject({ record_id: 'p1', error: 'data.price must be a number ≥ 0' });
    expect((await e.get('products', 'p1'))!.data).toEqual({ name: 'P', price: 1 }); // back to the server's
    const before = pushes(server).length;
    await e.sync();
    expect(pushes(server).length).toBe(before); // never retried on its own
    await e.retryRejected(e.status.rejected[0]!.seq, { name: 'P', price: 3 });
    await e.sync();
    expect((await e.rejected()).length).toBe(0);
    expect(server.rows.get('products/p1')!.data).toEqual({ name: 'P', price: 3 });
  });

  it('discarding the refused edit of a record the server never took removes the record', async () => {
    const server = new FakeIngest();
    server.serverWrite('products', 'p1', { name: 'P', price: 1 });
    const e = await engine(server, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    await e.sync();
    await e.put('products', 'new', { name: 'P', price: 1, invalid: true });
    await e.put('products', 'p1', { name: 'P', price: 1, invalid: true });
    await e.sync();
    expect(e.status.rejected.map((r) => r.record_id).sort()).toEqual(['new', 'p1']);
    for (const { seq } of await e.rejected()) await e.discardRejected(seq);
    expect(await e.get('products', 'new')).toBeUndefined();
    expect((await e.list('products')).map((r) => r.record_id)).toEqual(['p1']);
    expect((await e.get('products', 'p1'))!.data).toEqual({ name: 'P', price: 1 }); // the server's, kept
    expect(await e.rejected()).toEqual([]);
  });

  it('a retried refused edit is queued and leaves the refused ones in one transaction', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    await e.put('products', 'p1', { name: 'P', price: 1, invalid: true });
    await e.sync();
    const [refused] = await e.rejected();
    // The write of the retry fails (the database refuses the outbox entry): nothing changes.
    const add = e.db.outbox.add.bind(e.db.outbox);
    e.db.outbox.add = (() => Promise.reject(new Error('disk full'))) as unknown as typeof add;
    await expect(e.retryRejected(refused!.seq, { name: 'P', price: 3 })).rejects.toThrow('disk full');
    e.db.outbox.add = add;
    expect((await e.rejected()).map((r) => r.seq)).toEqual([refused!.seq]);
    expect(await e.db.outbox.count()).toBe(0);
    await e.retryRejected(refused!.seq, { name: 'P', price: 3 });
    expect(await e.rejected()).toEqual([]);
    await until(() => (server.rows.get('products/p1')?.data as { price?: number } | undefined)?.price === 3);
  });

  it('5xx and network errors keep the batch queued and retry with backoff; Retry-After wins', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { wsUrl: undefined, random: () => 1 });
    await e.login('cashier1', 'password');
    let failures = 0;
    server.overrides.push((call) => {
      if (!call.path.startsWith('/api/sync/batch-push')) return undefined;
      failures += 1;
      if (failures <= 2) return json({ error: { code: 'unavailable', message: 'db down' } }, 503);
      if (failures <= 4) return json({ error: { code: 'rate_limited', message: 'x' } }, 429, { 'retry-after': '0' });
      return undefined;
    });
    await e.put('products', 'x', { name: 'P', price: 1, n: 1 });
    await until(() => e.status.lastError !== null);
    expect(e.status.pending).toBe(1);
    const [entry] = await e.db.outbox.toArray();
    expect(entry!.attempts).toBe(1);
    expect(entry!.last_error).toMatch(/503/);
    await until(() => e.status.pending === 0, 5000);
    expect(failures).toBe(5);
  });

  it('a 400 for a whole batch is narrowed down to the record at fault', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    server.overrides.push((call) =>
      call.path.startsWith('/api/sync/batch-push') && call.body.records.some((r: any) => r.record_id === 'bad')
        ? json({ error: { code: 'payload_too_large', message: 'too big' } }, 413)
        : undefined,
    );
    await e.write(async (w) => {
      await w.put('products', 'a', { name: 'P', price: 1, n: 1 });
      await w.put('products', 'bad', { name: 'P', price: 1, n: 2 });
      await w.put('products', 'c', { name: 'P', price: 1, n: 3 });
    });
    await until(() => e.status.pending === 0 && !e.status.syncing);
    expect([...server.rows.keys()].sort()).toEqual(['products/a', 'products/c']);
    expect(e.status.rejected.map((r) => [r.record_id, r.status])).toEqual([['bad', 413]]);
  });
});

describe('conflicts', () => {
  it('are stored for the UI; the local copy follows the server until resolved', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    await e.put('products', 'p1', { price: 1, name: 'till' });
    server.serverWrite('products', 'p1', { name: 'office', price: 1 }); // before the till's push lands
    await until(() => e.status.conflicts.length === 1);
    const [conflict] = e.status.conflicts;
    expect(conflict).toMatchObject({ record_id: 'p1', local_data: { name: 'till' }, server_data: { name: 'office' }, sync_version: 1 });
    expect((await e.get('products', 'p1'))!).toMatchObject({ data: { name: 'office' }, sync_version: 1 });
    const record = await e.resolveConflict('products', 'p1', 'accept_client');
    expect(server.callsTo('/api/sync/resolve-conflict')[0]!.body).toEqual({
      table_name: 'products',
      record_id: 'p1',
      resolution: 'accept_client',
      client_data: { name: 'till', price: 1 },
      sync_version: 1,
      device_id: expect.any(String),
    });
    expect(record.sync_version).toBe(2);
    expect((await e.get('products', 'p1'))!).toMatchObject({ data: { name: 'till' }, sync_version: 2 });
    await until(() => e.status.conflicts.length === 0);
  });

  it('accept_server keeps the server version and clears the conflict', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    server.serverWrite('products', 'p1', { name: 'office', price: 1 });
    await e.put('products', 'p1', { price: 1, name: 'till' });
    await until(() => e.status.conflicts.length === 1);
    await e.resolveConflict('products', 'p1', 'accept_server');
    expect(server.callsTo('/api/sync/resolve-conflict')[0]!.body.client_data).toBeUndefined();
    expect(server.rows.get('products/p1')!.data).toEqual({ name: 'office', price: 1 });
    expect((await e.conflicts()).length).toBe(0);
  });
});

describe('pull', () => {
  it('pulls every page from the stored cursor', async () => {
    const server = new FakeIngest();
    for (let i = 0; i < 25; i++) server.serverWrite('customers', `c${i}`, { i });
    const e = await engine(server, { wsUrl: undefined, pullLimit: 10, catchUpLimit: 10 });
    await e.login('cashier1', 'password');
    await until(() => !e.status.syncing && e.status.lastSyncAt !== null);
    expect(await e.list('customers')).toHaveLength(25);
    expect(pulls(server).map((c) => new URL(c.path, 'http://x').searchParams.get('cursor'))).toEqual([null, '10', '20']);
    server.serverWrite('customers', 'c0', { i: 'new' });
    await e.sync();
    expect(pulls(server).at(-1)!.path).toContain('cursor=25');
    expect((await e.get('customers', 'c0'))!.data).toEqual({ i: 'new' });
  });

  it('a 410 resync_required drops the cursor and pulls from scratch', async () => {
    const server = new FakeIngest();
    server.serverWrite('customers', 'c1', { n: 1 });
    const e = await engine(server, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    await e.sync();
    expect(await e.store.cursor()).toBe('1');
    server.serverWrite('customers', 'c2', { n: 2 });
    server.resyncBelow = 2; // e.g. the server was restored from a backup: cursor 1 is gone
    await e.sync();
    const paths = pulls(server).map((c) => c.path);
    const stale = paths.findIndex((path) => path.endsWith('cursor=1'));
    expect(stale).toBeGreaterThan(0);
    expect(paths[stale + 1]).not.toContain('cursor=');
    expect(await e.store.cursor()).toBe('2');
    expect(await e.list('customers')).toHaveLength(2);
  });

  it('a sync called while one is finishing pulls again instead of joining it', async () => {
    const server = new FakeIngest();
    const e = await engine(server, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    let late: Promise<unknown> | null = null;
    const off = e.on('status', (status) => {
      // The run has pulled and is recording its time: a change written now needs another pull.
      if (late || status.lastSyncAt === null) return;
      server.serverWrite('customers', 'late', { n: 1 });
      late = e.sync();
    });
    await e.sync();
    off();
    await late;
    expect((await e.get('customers', 'late'))?.data).toEqual({ n: 1 });
  });
});

describe('realtime', () => {
  const event = (id: string, version: number, seq: number, extra: object = {}) => ({
    type: 'sync',
    room: '1:1',
    table_name: 'products',
    record_id: id,
    operation: version === 1 ? 'create' : 'update',
    data: { v: version },
    is_deleted: false,
    sync_version: version,
    server_updated_at: '2025-01-01T00:00:00Z',
    client_id: 1,
    branch_id: 1,
    position: seq,
    scope_seq: seq,
    source_device_id: 'till-2',
    ...extra,
  });

  async function connected() {
    const server = new FakeIngest();
    const e = await engine(server);
    await e.login('cashier1', 'password');
    await until(() => FakeWebSocket.instances.length === 1);
    const socket = FakeWebSocket.last();
    // The token is never in the URL: it rides as a subprotocol next to `possync`.
    expect(socket.url).toBe('ws://fanout.test/ws?device_id=till-1');
    expect(socket.protocols).toEqual(['possync', 'possync.token.access-1']);
    socket.open();
    await until(() => e.status.connection === 'online');
    await until(() => pulls(server).length >= 1 && !e.status.syncing);
    return { server, e, socket };
  }

  it('pulls on connect, applies events idempotently by sync_version', async () => {
    const { server, e, socket } = await connected();
    const before = pulls(server).length;
    socket.receive(event('p1', 2, 1));
    socket.receive(event('p1', 2, 2, { data: { v: 'dup' } }));
    socket.receive(event('p1', 1, 3, { data: { v: 'old' } }));
    await until(async () => (await e.get('products', 'p1'))?.sync_version === 2);
    await new Promise((r) => setTimeout(r, 30));
    expect((await e.get('products', 'p1'))!.data).toEqual({ v: 2 });
    expect(pulls(server).length).toBe(before); // no gap: no pull
  });

  it('a gap in scope_seq (per branch) triggers a pull from the stored cursor', async () => {
    const { server, e, socket } = await connected();
    socket.receive(event('a', 1, 7));
    socket.receive(event('s', 1, 1, { branch_id: 0 })); // another scope: its own count
    socket.receive(event('b', 1, 8));
    await new Promise((r) => setTimeout(r, 30));
    const before = pulls(server).length;
    server.serverWrite('products', 'missed', { name: 'P', price: 1, n: 1 });
    socket.receive(event('d', 1, 10)); // 9 was missed
    await until(async () => (await e.get('products', 'missed')) !== undefined);
    expect(pulls(server).length).toBe(before + 1);
  });

  it('a resync message triggers a pull; a reconnect pulls and counts afresh', async () => {
    const { server, e, socket } = await connected();
    const before = pulls(server).length;
    socket.receive({ type: 'resync', reason: 'nats reconnected' });
    await until(() => pulls(server).length === before + 1);
    socket.drop(4008, 'slow');
    await until(() => FakeWebSocket.instances.length === 2);
    const second = FakeWebSocket.last();
    second.open();
    await until(() => pulls(server).length === before + 2);
    second.receive(event('z', 1, 50)); // first event after a reconnect: no gap
    await until(async () => (await e.get('products', 'z')) !== undefined);
    await new Promise((r) => setTimeout(r, 30));
    expect(pulls(server).length).toBe(before + 2);
  });

  it('an own marker between two events causes no pull; a real gap still pulls', async () => {
    const { server, e, socket } = await connected();
    const before = pulls(server).length;
    const own = (id: string, seq: number) => ({ type: 'own', room: '1:1', table_name: 'products',
      record_id: id, sync_version: 1, branch_id: 1, position: seq, scope_seq: seq });
    socket.receive(event('a', 1, 1));
    socket.receive(own('mine', 2));
    socket.receive(event('b', 1, 3));
    await until(async () => (await e.get('products', 'b')) !== undefined);
    await new Promise((r) => setTimeout(r, 30));
    expect(pulls(server).length).toBe(before);
    server.serverWrite('products', 'missed', { name: 'P', price: 1, n: 1 });
    socket.receive(event('d', 1, 5)); // 4 was missed
    await until(async () => (await e.get('products', 'missed')) !== undefined);
    expect(pulls(server).length).toBe(before + 1);
  });

  it('ignores its own changes echoed back', async () => {
    const { e, socket } = await connected();
    socket.receive(event('mine', 3, 1, { source_device_id: 'till-1' }));
    await new Promise((r) => setTimeout(r, 30));
    expect(await e.get('products', 'mine')).toBeUndefined();
  });

  it('sends a fresh token over the socket before the current one expires', async () => {
    const server = new FakeIngest();
    server.tokenLifetime = 1; // 1 s: checked every 250 ms, refreshed within its last third
    const e = await engine(server);
    await e.login('cashier1', 'password');
    await until(() => FakeWebSocket.instances.length === 1);
    const socket = FakeWebSocket.last();
    socket.open();
    await until(() => socket.sent.some((m) => m.type === 'auth'), 3000);
    const auth = socket.sent.find((m) => m.type === 'auth');
    expect(auth.token).toBe('access-2');
    expect(server.callsTo('/api/auth/refresh').length).toBeGreaterThanOrEqual(1);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('after 4001 (token expired) it reconnects with a valid token', async () => {
    const { server, socket } = await connected();
    server.validTokens.clear();
    socket.drop(4001, 'token expired');
    await until(() => FakeWebSocket.instances.length === 2);
    // The next connection asks the HTTP client, which still thinks access-1 is valid; the
    // pull that follows the connect gets 401 and refreshes.
    FakeWebSocket.last().open();
    await until(() => server.callsTo('/api/auth/refresh').length === 1);
  });

  it('a refused refresh token: logged out, socket stopped, queue kept', async () => {
    const { server, e } = await connected();
    server.validTokens.clear();
    server.refreshTokens.clear();
    await e.put('products', 'kept', { name: 'P', price: 1, n: 1 });
    await until(() => e.status.auth === 'logged_out');
    expect(e.status.pending).toBe(1);
    expect(e.socket!.state).toBe('idle');
    await e.login('cashier1', 'password');
    await until(() => e.status.pending === 0);
  });
});

describe('tabs', () => {
  it('a login made before the tab has won the election runs once it leads, not after a minute', async () => {
    const server = new FakeIngest();
    const e = new SyncEngine({
      apiUrl: 'http://ingest.test',
      deviceId: 'till-early',
      dbName: uniqueName('early'),
      fetch: server.fetch,
      periodicSyncMs: 0,
      leader: { forceLease: true, leaseMs: 200 },
    });
    engines.push(e);
    await e.start();
    expect(e.isLeader()).toBe(false); // the lease is not taken yet
    const started = Date.now();
    await e.login('cashier1', 'password');
    expect(e.status.auth).toBe('logged_in');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a tab stopped and started again hears the other tabs', async () => {
    const server = new FakeIngest();
    const dbName = uniqueName('restart');
    const lease = { forceLease: true, leaseMs: 1500 };
    const a = await engine(server, { dbName, wsUrl: undefined, leader: lease });
    await a.stop();
    await a.start();
    const b = await engine(server, { dbName, wsUrl: undefined, leader: lease });
    const seen: string[] = [];
    a.on('change', ({ tables }) => seen.push(...tables));
    await b.put('customers', 'from-b', { name: 'B', n: 1 });
    await until(() => seen.includes('customers'));
  });

  it('one tab leads; the others see every change and their writes are pushed by the leader', async () => {
    const server = new FakeIngest();
    const dbName = uniqueName('tabs');
    const lease = { forceLease: true, leaseMs: 1500 }; // generous: the machine may be busy
    const a = await engine(server, { dbName, wsUrl: undefined, leader: lease });
    await until(() => a.status.leader);
    const b = await engine(server, { dbName, wsUrl: undefined, leader: lease });
    await new Promise((r) => setTimeout(r, 100));
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    const heard: string[] = [];
    const listener = new BroadcastChannel(`possync:${dbName}`);
    listener.onmessage = (event) => heard.push(JSON.stringify(event.data));
    await b.login('cashier1', 'secret-password'); // b logs in itself and tells the leader
    await until(() => b.status.auth === 'logged_in' && a.status.auth === 'logged_in');
    listener.close();
    expect(heard.some((m) => m.includes('"session"'))).toBe(true);
    expect(heard.filter((m) => m.includes('secret-password'))).toEqual([]);
    const seen: string[][] = [];
    a.on('change', ({ tables }) => seen.push(tables));
    await b.put('products', 'from-b', { name: 'P', price: 1, n: 1 });
    await until(() => server.rows.has('products/from-b'));
    expect(seen).toContainEqual(['products']);
    server.serverWrite('customers', 'c1', { n: 1 });
    const seenByB: string[][] = [];
    b.on('change', ({ tables }) => seenByB.push(tables));
    await b.sync(); // asks the leader
    expect(seenByB.flat()).toContain('customers');
    expect((await b.get('customers', 'c1'))!.data).toEqual({ n: 1 });
    await until(() => b.status.pending === 0 && b.status.lastSyncAt !== null);
    // The leader goes away: the other tab takes over.
    await a.stop();
    await until(() => b.isLeader(), 8000);
  });
});
