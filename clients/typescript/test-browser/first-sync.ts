/**
 * A fresh till's first sync in a large client, timed inside the page: from `login` to the
 * engine's progress saying the first full sync is done, with a `longtask` observer running
 * the whole time (how long the page's main thread was unusable at once). Also what the
 * server holds for the till, to check that the till stored exactly that.
 */
import type { Page } from 'playwright-core';
import type { Stack } from './stack.js';

/** Put in a page before its bundle: every main-thread task over 50 ms, in `window.longTasks`. */
export const observeLongTasks = () => {
  const w = window as any;
  w.longTasks = [] as number[];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
  }).observe({ type: 'longtask', buffered: true });
};

export interface FirstSyncFigure {
  seconds: number;
  /** Records in the local store when the first sync was done. */
  stored: number;
  /** The progress the engine reported at the end. */
  progress: { catchingUp: boolean; pulled: number; firstSyncDone: boolean };
  /** Progress events seen during the sync. */
  progressEvents: number;
  longestTaskMs: number;
  longTasks: number;
}

/** Runs in a till's page: every copy it holds (rows and packs), deleted ones too. */
export const everyCopy = async () => {
  const { engine, possync } = window as any;
  let all: Array<{ table_name: string; record_id: string; sync_version: number; is_deleted: boolean; data: unknown }> = [];
  for (const table of possync.TABLES as string[]) all = all.concat(await engine.list(table, { includeDeleted: true }));
  return all;
};

/** Logs `page`'s fresh till in as cashier1 and waits for its first full sync. */
export async function timedFirstSync(page: Page, timeoutMs: number): Promise<FirstSyncFigure> {
  const figure = await page.evaluate(async (timeoutMs) => {
    const w = window as any;
    const engine = w.engine;
    let progressEvents = 0;
    (w.longTasks ??= []).length = 0;
    const started = performance.now();
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no first sync in ${timeoutMs} ms: ${JSON.stringify(engine.progress)}`)), timeoutMs);
      engine.on('progress', (p: { firstSyncDone: boolean; catchingUp: boolean }) => {
        progressEvents++;
        if (p.firstSyncDone && !p.catchingUp) {
          clearTimeout(timer);
          resolve();
        }
      });
      engine.on('status', (s: { lastError: string | null }) => {
        if (!s.lastError) return;
        clearTimeout(timer);
        reject(new Error(`the first sync failed: ${s.lastError}`));
      });
    });
    await engine.login('cashier1', 'password');
    await done;
    const seconds = (performance.now() - started) / 1000;
    // Tasks that ended by now are reported within a frame or two.
    await new Promise((r) => setTimeout(r, 100));
    const longTasks: number[] = w.longTasks;
    return {
      seconds,
      progress: engine.progress,
      progressEvents,
      longestTaskMs: longTasks.length ? Math.max(...longTasks) : 0,
      longTasks: longTasks.length,
    };
  }, timeoutMs);
  return { ...figure, stored: (await page.evaluate(everyCopy)).length };
}

/** One record as the server or the till holds it, for comparing the two. */
export type Held = [table: string, id: string, version: number, deleted: boolean, data: string];

/** Every record a branch-`branch` till of client 1 syncs (of `tables`, if given), sorted. */
export function serverRecords(stack: Stack, branch: number, tables?: string[]): Held[] {
  const only = tables ? ` AND table_name IN (${tables.map((t) => `'${t}'`).join(',')})` : '';
  const rows = stack.sql(
    `SELECT table_name, record_id, sync_version, is_deleted, data FROM records
     WHERE client_id = 1 AND branch_scope IN (0, ${branch})${only}`,
  );
  const held = rows
    .split('\n')
    .filter(Boolean)
    .map((line): Held => {
      const [table, id, version, deleted, data] = line.split('\t');
      return [table!, id!, Number(version), deleted === '1', canonical(JSON.parse(unescapeCli(data!)))];
    });
  return held.sort(byKey);
}

/** Every record in the till's store, in the same shape. */
export async function tillRecords(page: Page): Promise<Held[]> {
  const rows = await page.evaluate(everyCopy);
  return rows.map((r): Held => [r.table_name, r.record_id, r.sync_version, r.is_deleted, canonical(r.data)]).sort(byKey);
}

const byKey = (a: Held, b: Held) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1);

/** JSON with sorted keys: the same data compares equal whatever order its fields came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** The `mariadb` client's batch output escapes tabs, newlines and backslashes. */
function unescapeCli(text: string): string {
  return text.replace(/\\([\\tn0])/g, (_m, c: string) => ({ '\\': '\\', t: '\t', n: '\n', '0': '\0' })[c]!);
}

/** The figure as one printed line. */
export function describeFigure(label: string, pulled: number, f: FirstSyncFigure, clientRecords: number): string {
  return (
    `[first-sync] ${label}: ${pulled.toLocaleString('en')} records pulled and stored in ${f.seconds.toFixed(2)} s ` +
    `(${Math.round(pulled / f.seconds).toLocaleString('en')} records/s) in a client of ${clientRecords.toLocaleString('en')} records; ` +
    `longest main-thread task ${f.longestTaskMs.toFixed(0)} ms (${f.longTasks} over 50 ms), ${f.progressEvents} progress events`
  );
}
