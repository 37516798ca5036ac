/**
 * A fresh till's first sync in Chromium, in a client much larger than what the till syncs
 * (history seeded straight into the database): it stores exactly what the server holds for
 * it, reports its progress up to the total and keeps the first sync done across a reload; a
 * till that syncs a subset of tables gets that subset, and pulls from scratch when the
 * subset changes. Prints the figure (seconds, records/s, longest main-thread task).
 * POSSYNC_FIRST_SYNC_OTHER / POSSYNC_FIRST_SYNC_OWN size it (default 60,000 + 2,000).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFigure, observeLongTasks, serverRecords, tillRecords, timedFirstSync } from './first-sync.js';
import { seedHistory } from './history.js';
import { Tills } from './till.js';

/** Rows of other branches' history (30 % of them shared catalogue rows the till syncs too). */
const OTHER = Number(process.env.POSSYNC_FIRST_SYNC_OTHER ?? 60_000);
/** Rows of the till's own branch and shared tables, all synced. */
const OWN = Number(process.env.POSSYNC_FIRST_SYNC_OWN ?? 2_000);
const TIMEOUT = 10 * 60_000;
let tills: Tills;

beforeAll(async () => {
  tills = await Tills.start(3600);
  seedHistory(tills.stack, { branches: [2], prefix: 'far', rows: OTHER });
  seedHistory(tills.stack, { branches: [1], prefix: 'own', rows: OWN });
}, TIMEOUT);

afterAll(() => tills?.close());

describe('first sync in a large client', () => {
  it(`a fresh till stores exactly its ${(0.3 * OTHER + OWN).toLocaleString('en')} records of ${(OTHER + OWN).toLocaleString('en')} and reports its progress`, async () => {
    const expected = serverRecords(tills.stack, 1);
    const { page } = await tills.open('first-sync', { init: observeLongTasks });

    const figure = await timedFirstSync(page, TIMEOUT);

    console.log(describeFigure('fresh till (cashier1, branch 1)', expected.length, figure, OTHER + OWN));
    expect(figure.stored).toBe(expected.length);
    expect(await tillRecords(page)).toEqual(expected);
    expect(figure.progress).toEqual({ catchingUp: false, pulled: expected.length, firstSyncDone: true });
    expect(figure.progressEvents).toBeGreaterThanOrEqual(2);
    // At the head: the next sync pulls nothing.
    expect((await page.evaluate(() => (window as any).engine.sync())).pulled).toBe(0);
    // The first sync stays done for the next visit.
    await page.reload();
    const after = await page.evaluate(async () => {
      const w = window as any;
      w.engine = new w.possync.SyncEngine({ apiUrl: location.origin, deviceId: 'first-sync', periodicSyncMs: 0 });
      await w.engine.start();
      return w.engine.progress.firstSyncDone;
    });
    expect(after).toBe(true);
  }, TIMEOUT);

  it('a till of some tables syncs those alone, and all of a newly added table', async () => {
    const { page, context } = await tills.open('subset', { engine: { tables: ['customers'] }, socket: false });
    await timedFirstSync(page, TIMEOUT);
    expect(await tillRecords(page)).toEqual(serverRecords(tills.stack, 1, ['customers']));

    // The same store with one more table: products from scratch, customers kept.
    await page.evaluate(() => (window as any).engine.stop());
    const { page: wider } = await tills.open('subset', { context, engine: { tables: ['products', 'customers'] }, socket: false });
    await wider.waitForFunction(() => (window as any).engine.status.leader);
    await wider.evaluate(() => (window as any).engine.sync());
    expect(await tillRecords(wider)).toEqual(serverRecords(tills.stack, 1, ['products', 'customers']));
    expect(await wider.evaluate(() => (window as any).engine.progress.firstSyncDone)).toBe(true);
  }, TIMEOUT);

  it('an unknown table is refused with the list of synced tables', async () => {
    const { page } = await tills.open('checks');
    const message = await page.evaluate(() => {
      try {
        new (window as any).possync.SyncEngine({ apiUrl: location.origin, deviceId: 'bad', tables: ['products', 'prodcuts'] });
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(message).toContain('"prodcuts"');
    expect(message).toContain('payment_apps');
  });
});
