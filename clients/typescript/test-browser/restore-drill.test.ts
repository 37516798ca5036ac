/**
 * The restore drill in Chromium against the real stack, as `tests/api/restore_drill.rs` runs
 * it with Rust tills: writes, `possync-admin backup`, more acknowledged writes from three
 * tills (one of them then gone for good), `possync-admin restore` with ingest stopped and
 * fanout restarted after it (`docs/operations.md`, "Restore and failover"). The remaining
 * tills reconnect, are refused their cursor (410) and reconcile: every acknowledged write
 * still on a till is back on the server once, what only the gone till held is dropped, and
 * each till equals the server record by record and by checksums.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../src/tables.js';
import { changedSince, epoch, lastChange, serverData, serverHoldings, tillHoldings } from './holdings.js';
import { login, Tills, waitRecord } from './till.js';

let tills: Tills;
let backupDir: string;

beforeAll(async () => {
  tills = await Tills.start(3600);
  backupDir = mkdtempSync(join(tmpdir(), 'possync-drill-'));
});

afterAll(async () => {
  await tills?.close();
  rmSync(backupDir, { recursive: true, force: true });
});

/** Pushes the till's queue and waits until the server has answered all of it. */
async function pushAll(till: Page): Promise<void> {
  await till.evaluate(() => (window as any).engine.sync());
  await till.waitForFunction(async () => (await (window as any).engine.store.pendingEdits()) === 0, null, { polling: 100 });
}

/** The statuses of the till's pulls from now on, and the records of its pushes. */
function watch(till: Page): { pulls: number[]; pushed: string[] } {
  const seen = { pulls: [] as number[], pushed: [] as string[] };
  till.on('request', (request) => {
    if (!request.url().includes('/api/sync/batch-push')) return;
    const { records } = request.postDataJSON() as { records: { table_name: string; record_id: string }[] };
    seen.pushed.push(...records.map((r) => `${r.table_name}/${r.record_id}`));
  });
  till.on('response', (response) => {
    if (response.url().includes('/api/sync/pull-changes')) seen.pulls.push(response.status());
  });
  return seen;
}

/** The till settled: its verification, and what it has queued, refused or in conflict. */
const settledState = (till: Page) =>
  till.evaluate(async () => {
    const { engine } = window as any;
    const verified = await engine.verify();
    return { verified, pending: await engine.store.pendingEdits(), rejected: engine.status.rejected.length, conflicts: engine.status.conflicts.length };
  });

describe('a restore from a backup', () => {
  it('brings every acknowledged write still on a till back once, drops the gone till’s product, and the tills equal the server', async () => {
    const { stack } = tills;
    const started = Date.now();
    const { page: a, context: aProfile } = await tills.open('drill-till-a');
    const { page: b } = await tills.open('drill-till-b');
    const { page: gone, context: goneProfile } = await tills.open('drill-till-gone');
    for (const till of [a, b, gone]) await login(till);

    await a.evaluate(async () => {
      const { engine } = window as any;
      await engine.put('products', 'p1', { name: 'شاي', price: 2 });
      await engine.put('product_stock', 'tea', { product_id: 'p1', quantity: 100 });
    });
    await pushAll(a);
    await waitRecord(b, 'product_stock', 'tea', (d) => d.quantity === 100);
    const backup = join(backupDir, 'backup.sql');
    stack.admin('backup', '--out', backup);

    // Acknowledged after the backup: an invoice and a sale on each till, a price change, and
    // a product from a till that is then gone for good.
    await a.evaluate(async () => {
      const { engine } = window as any;
      await engine.put('invoices', 'inv-a1', { total: 6, note: 'فاتورة' });
      await engine.put('products', 'p1', { name: 'شاي', price: 3 });
      await engine.increment('product_stock', 'tea', { quantity: -2 });
    });
    await b.evaluate(async () => {
      const { engine } = window as any;
      await engine.put('invoices', 'inv-b1', { total: 15 });
      await engine.increment('product_stock', 'tea', { quantity: -5 });
    });
    await gone.evaluate(() => (window as any).engine.put('products', 'p-lost', { name: 'lost', price: 1 }));
    for (const till of [a, b, gone]) await pushAll(till);
    expect(serverData(stack, 'product_stock/tea')?.quantity).toBe(93);
    for (const till of [a, b]) {
      await waitRecord(till, 'products', 'p-lost');
      await waitRecord(till, 'product_stock', 'tea', (d) => d.quantity === 93);
    }
    await goneProfile.close(); // its page and IndexedDB with it

    // The operator's restore: ingest stopped during the load, fanout restarted after it.
    const epochBefore = epoch(stack);
    const [seenByA, seenByB] = [watch(a), watch(b)];
    const restoreStarted = Date.now();
    await stack.restart('ingest', () => stack.admin('restore', '--from', backup));
    expect(epoch(stack), 'a restore gives the database a new epoch').not.toBe(epochBefore);
    expect(serverData(stack, 'invoices/inv-a1'), 'restored to the backup').toBeUndefined();
    expect(serverData(stack, 'product_stock/tea')?.quantity).toBe(100);
    const restoredTo = lastChange(stack);
    // Till b reconciles first (the Rust drill starts with a): a's replayed create of the stock
    // row then arrives over b's sale, on a row still a's by authorship, and must be taken for
    // the retry it is, not set the stock back to 100.
    await aProfile.setOffline(true);
    await stack.restart('fanout');
    const restoreMs = Date.now() - restoreStarted;

    // Each till's socket reconnects (a's once it is back online) and its pull is refused:
    // nothing but the reconnect asks.
    const reconcileStarted = Date.now();
    await expect.poll(() => seenByB.pulls, { timeout: 30_000 }).toContain(410);
    await pushAll(b);
    await aProfile.setOffline(false);
    await expect.poll(() => seenByA.pulls, { timeout: 30_000 }).toContain(410);
    // As the Rust drill: two rounds, so that each till also gets what the other pushed again.
    for (let round = 0; round < 2; round++) for (const till of [a, b]) await pushAll(till);
    const reconcileMs = Date.now() - reconcileStarted;

    expect(serverData(stack, 'invoices/inv-a1')).toEqual({ total: 6, note: 'فاتورة' });
    expect(serverData(stack, 'invoices/inv-b1')).toEqual({ total: 15 });
    expect(serverData(stack, 'products/p1')).toEqual({ name: 'شاي', price: 3 });
    expect(serverData(stack, 'product_stock/tea')?.quantity, 'each sale counted once: 100 − 2 − 5').toBe(93);
    expect(changedSince(stack, restoredTo), 'the edits the backup held came back as retries, the lost ones applied once').toEqual([
      'invoices/inv-a1',
      'invoices/inv-b1',
      'product_stock/tea',
      'product_stock/tea',
      'products/p1',
    ]);
    const server = serverHoldings(stack);
    expect(Object.keys(server).sort(), 'the gone till’s product is lost with the database').toEqual([
      'invoices/inv-a1',
      'invoices/inv-b1',
      'product_stock/tea',
      'products/p1',
    ]);
    // What each till pushed again: its acknowledged edits, the ones before the backup too.
    expect(seenByA.pushed.sort()).toEqual(['invoices/inv-a1', 'product_stock/tea', 'product_stock/tea', 'products/p1', 'products/p1']);
    expect(seenByB.pushed.sort()).toEqual(['invoices/inv-b1', 'product_stock/tea']);
    for (const [till, seen] of [[a, seenByA], [b, seenByB]] as const) {
      expect(await tillHoldings(till), 'the till holds what the server holds').toEqual(server);
      expect(await settledState(till)).toEqual({ verified: { kind: 'equal', tables: TABLES.length }, pending: 0, rejected: 0, conflicts: 0 });
      expect(seen.pulls.filter((status) => status === 410), 'one reconcile').toHaveLength(1);
    }
    console.log(
      `restore drill: ${Date.now() - started} ms in all; restore with ingest and fanout restarted ${restoreMs} ms; ` +
        `reconnect to both tills reconciled and converged ${reconcileMs} ms; pushed again: till a ${seenByA.pushed.length}, ` +
        `till b ${seenByB.pushed.length}; server records ${Object.keys(server).length}`,
    );
  });
});
