/**
 * A till changing hands in Chromium against the real stack: a wipe never drops an edit not
 * pushed, and a cashier of another branch never sees the previous branch's records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tills } from './till.js';

let tills: Tills;

beforeAll(async () => {
  tills = await Tills.start(3600);
});

afterAll(() => tills?.close());

const settled = () => {
  const { engine } = window as any;
  return engine.status.auth === 'logged_in' && !engine.status.syncing && engine.progress.firstSyncDone;
};

describe('a till changing hands', () => {
  it('refuses a wipe while an edit is queued, pushes it then wipes; cashier2 (branch 2) never sees branch 1', async () => {
    const { page, context } = await tills.open('ts-handover');
    await page.evaluate(async () => {
      const e = (window as any).engine;
      await e.login('cashier1', 'password');
      await e.put('invoices', 'hand-inv-1', { total: 100 });
      await e.sync();
    });

    await context.setOffline(true);
    await page.waitForFunction(() => (window as any).engine.status.connection === 'offline');
    const refused = await page.evaluate(async () => {
      const { engine, possync } = window as any;
      await engine.put('invoices', 'hand-inv-2', { total: 200 });
      try {
        await engine.logout({ wipe: true });
        return 'wiped';
      } catch (err: any) {
        return err instanceof possync.PendingEditsError ? `refused: ${err.pending}` : String(err);
      }
    });
    expect(refused).toBe('refused: 1');
    expect(await page.evaluate(() => (window as any).engine.get('invoices', 'hand-inv-2'))).toBeTruthy();

    await context.setOffline(false);
    await page.waitForFunction(() => navigator.onLine);
    const wiped = await page.evaluate(async () => {
      const e = (window as any).engine;
      await e.logout({ wipe: true }); // pushes hand-inv-2 first
      return { auth: e.status.auth, invoices: (await e.list('invoices', { includeDeleted: true })).length };
    });
    expect(wiped).toEqual({ auth: 'logged_out', invoices: 0 });
    expect(tills.stack.sql("SELECT branch_scope FROM records WHERE client_id = 1 AND record_id = 'hand-inv-2'").trim()).toBe('1');

    // cashier1 syncs branch 1 again, logs out (no wipe), and hands the till to cashier2.
    await page.evaluate(() => (window as any).engine.login('cashier1', 'password'));
    await page.waitForFunction(settled);
    expect(await page.evaluate(async () => (await (window as any).engine.list('invoices')).length)).toBe(2);
    const seen = await page.evaluate(async () => {
      const e = (window as any).engine;
      await e.logout();
      await e.login('cashier2', 'password');
      return (await e.list('invoices')).map((r: any) => r.record_id);
    });
    expect(seen).toEqual([]);
    await page.waitForFunction(settled);
    expect(await page.evaluate(() => (window as any).engine.get('invoices', 'hand-inv-1'))).toBeUndefined();
  });
});
