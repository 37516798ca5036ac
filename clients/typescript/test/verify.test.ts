import { afterEach, describe, expect, it } from 'vitest';
import { allCopies } from '../src/copies.js';
import type { SyncEngine } from '../src/SyncEngine.js';
import { recordTerm, sumTables } from '../src/verify.js';
import { FakeIngest, startEngine } from './fakes.js';

const engines: SyncEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

/** (id, version, deleted) of the engine's copies of `table`, by id. */
const copies = async (e: SyncEngine, table: string) =>
  (await allCopies(e.db))
    .filter((r) => r.table_name === table)
    .map((r) => [r.record_id, r.sync_version, r.is_deleted] as const)
    .sort();

/** The same of the fake server's rows. */
const serverRows = (server: FakeIngest, table: string) =>
  [...server.rows.values()]
    .filter((r) => r.table_name === table)
    .map((r) => [r.record_id, r.sync_version, r.is_deleted] as const)
    .sort();

describe('checksums', () => {
  it('a term is the CRC-32 of id:version:deleted, as the server and zlib compute it', () => {
    // zlib.crc32(b'inv-1:3:0') and of 'p-ش:12:1' in UTF-8; wire/src/checksums.rs checks the first.
    expect(recordTerm('inv-1', 3, false)).toBe(3_249_037_006);
    expect(recordTerm('p-ش', 12, true)).toBe(2_637_196_515);
    const two = [
      { table_name: 'invoices', record_id: 'inv-1', sync_version: 3, is_deleted: false },
      { table_name: 'invoices', record_id: 'inv-2', sync_version: 1, is_deleted: false },
    ];
    expect(sumTables(two).get('invoices')).toEqual({ count: 2, checksum: 1_194_676_030 }); // modulo 2^32
  });
});

describe('verify', () => {
  it('leaves an equal copy alone and replaces a table whose copy lost, kept stale or gained records', async () => {
    const server = new FakeIngest();
    for (let i = 0; i < 300; i++) server.serverWrite('products', `p${String(i).padStart(3, '0')}`, { name: 'شاي', price: i });
    server.serverWrite('products', 'p001', { name: 'قهوة', price: 9 });
    server.serverWrite('products', 'p002', { name: 'P', price: 2 }, true);
    server.serverWrite('invoices', 'i1', { total: 4 });
    const e = await startEngine(server, engines, { verifyEveryMs: 0 });
    await e.login('cashier1', 'password');
    await e.sync();
    expect(await e.db.packs.count()).toBeGreaterThan(0); // the first sync packed the products

    const equal = await e.verify();
    const pack = (await e.db.packs.toArray())[0]!;
    pack.rows = pack.rows
      .filter((r) => r.record_id !== 'p000')
      .map((r) => (r.record_id === 'p001' ? { ...r, sync_version: 1, data: { name: 'stale', price: 1 } } : r));
    await e.db.packs.put(pack);
    await e.db.records.put({ table_name: 'products', record_id: 'ghost', data: { name: 'ghost' }, is_deleted: false, sync_version: 5 });
    const invoicesBefore = await copies(e, 'invoices');
    const repaired = await e.verify();

    expect(equal).toEqual({ kind: 'equal', tables: 31 });
    expect(repaired).toEqual({ kind: 'repaired', tables: [{ table: 'products', written: 300, dropped: 1 }] });
    expect(await copies(e, 'products')).toEqual(serverRows(server, 'products'));
    expect((await e.get('products', 'p001'))!.data).toEqual({ name: 'قهوة', price: 9 });
    expect(await e.get('products', 'ghost')).toBeUndefined();
    expect(await copies(e, 'invoices')).toEqual(invoicesBefore);
    expect(await e.verify()).toEqual({ kind: 'equal', tables: 31 });
  });

  it('does not compare while edits wait to be pushed, and a sync verifies once verifyEveryMs has passed', async () => {
    const server = new FakeIngest();
    server.serverWrite('products', 'p1', { name: 'P', price: 1 });
    const e = await startEngine(server, engines, { verifyEveryMs: 1 });
    await e.put('products', 'p2', { name: 'P', price: 2 });

    const pending = await e.verify();
    await e.login('cashier1', 'password');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await e.sync();

    expect(pending).toEqual({ kind: 'pending_edits' });
    expect(server.callsTo('/api/sync/checksums').length).toBeGreaterThan(0);
    expect(await copies(e, 'products')).toEqual(serverRows(server, 'products'));
  });
});
