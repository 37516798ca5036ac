/** A till changing hands: whose data it holds, and what a login or a logout does to it. */
import { afterEach, describe, expect, it } from 'vitest';
import { PendingEditsError } from '../src/errors.js';
import type { SyncEngine } from '../src/SyncEngine.js';
import { FakeIngest, json, startEngine, uniqueName, until } from './fakes.js';

const engines: SyncEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

const till = (server: FakeIngest) => startEngine(server, engines, { dbName: uniqueName('handover') });

/** A till of cashier1 (client 1, branch 1) holding a synced product and a refused edit. */
async function usedTill(server: FakeIngest) {
  server.serverWrite('products', 'p1', { name: 'P', price: 1 });
  const e = await till(server);
  await e.login('cashier1', 'password');
  await e.sync();
  await e.put('products', 'bad', { name: 'P', price: 1, invalid: true });
  await e.sync();
  expect(e.status.rejected).toHaveLength(1);
  return e;
}

describe('a till changing hands', () => {
  it('keeps its data for another cashier of the same branch', async () => {
    const e = await usedTill(new FakeIngest());
    await e.logout();
    await e.login('cashier1b', 'password'); // the fake's default: client 1, branch 1
    expect(await e.get('products', 'p1')).toBeDefined();
    expect(await e.rejected()).toHaveLength(1);
  });

  it('wipes it before a user of another branch or client sees it, and syncs that one from scratch', async () => {
    const server = new FakeIngest();
    const e = await usedTill(server);
    await e.logout();
    // Client 2 holds nothing; its pulls are recorded.
    const pulls: string[] = [];
    server.overrides.push((call) => {
      if (!call.path.startsWith('/api/sync/pull-changes')) return undefined;
      pulls.push(call.path);
      return json({ changes: [], has_more: false, next_cursor: null });
    });
    await e.login('other', 'password');
    expect(await e.get('products', 'p1')).toBeUndefined();
    expect(await e.list('products', { includeDeleted: true })).toEqual([]);
    expect(await e.rejected()).toEqual([]);
    await until(() => pulls.length > 0 && e.progress.firstSyncDone);
    expect(pulls[0]).not.toMatch(/cursor=/); // from scratch
  });

  it('refuses a login of another scope while the previous user\'s edits are queued, and keeps the session', async () => {
    const server = new FakeIngest();
    const e = await usedTill(server);
    server.overrides.push((call) => (call.path.startsWith('/api/sync/batch-push') ? new Response('', { status: 503 }) : undefined));
    await e.put('products', 'sold-offline', { name: 'P', price: 2 });
    const err = await e.login('other', 'password').catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PendingEditsError);
    expect((err as PendingEditsError).pending).toBe(1);
    expect(await e.get('products', 'sold-offline')).toBeDefined();
    expect(e.status.auth).toBe('logged_in'); // still cashier1's session: the edit can still go
    server.overrides.length = 0;
    // A run that failed on the 503 may still be finishing: its follow-up fails with it.
    await until(async () => (await e.sync().catch(() => undefined), server.rows.has('products/sold-offline')));
  });

  it('logout({ wipe: true }) pushes first, then wipes; offline it refuses and changes nothing', async () => {
    const server = new FakeIngest();
    const e = await usedTill(server);
    server.overrides.push((call) => (call.path.startsWith('/api/sync/batch-push') ? new Response('', { status: 503 }) : undefined));
    await e.put('products', 'sold', { name: 'P', price: 2 });
    await expect(e.logout({ wipe: true })).rejects.toBeInstanceOf(PendingEditsError);
    expect(e.status.auth).toBe('logged_in');
    expect(await e.get('products', 'p1')).toBeDefined();
    server.overrides.length = 0;
    await e.logout({ wipe: true });
    expect(server.rows.has('products/sold')).toBe(true);
    expect(e.status.auth).toBe('logged_out');
    expect(await e.get('products', 'p1')).toBeUndefined();
    expect(await e.get('products', 'sold')).toBeUndefined();
    expect(await e.db.acknowledged.count(), 'never pushed again to whoever logs in next').toBe(0);
  });
});
