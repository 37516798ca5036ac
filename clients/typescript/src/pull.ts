/**
 * Pulling the till's scope into IndexedDB from the stored cursor. Near the head a pull takes
 * small pages; far behind (a first sync, a resync, a page that came back full) it takes
 * large ones and asks for the next page while it stores the one it has. Each page is stored
 * with its cursor in one transaction. A catch-up reports its progress, and the first pull
 * that reaches the head marks the first full sync done (kept in IndexedDB). A cursor the
 * server refuses (410: restored, failed over or compacted) starts a reconcile
 * (`reconcile.ts`).
 */
import { HttpError } from './errors.js';
import type { HttpClient } from './HttpClient.js';
import type { LocalStore } from './LocalStore.js';
import type { PullResponse } from './types.js';

/** How far a till's pull has come; the engine's `progress` event and getter. */
export interface SyncProgress {
  /** A catch-up is under way: a pull from scratch, or one whose pages come back full. */
  catchingUp: boolean;
  /** Changes pulled and stored by the current catch-up (or the last one, once it ended). */
  pulled: number;
  /** A pull of the synced tables has reached the server's head on this device (kept in IndexedDB). */
  firstSyncDone: boolean;
}

export interface PullSettings {
  /** Changes per page near the head. */
  limit: number;
  /** Changes per page while catching up. */
  catchUpLimit: number;
  /** The synced tables, sorted (`undefined`: all of them). */
  tables: readonly string[] | undefined;
}

/** The key under which a store remembers which tables its cursor covers. */
export const tablesKey = (tables: readonly string[] | undefined) => tables?.join(',') ?? '*';

/**
 * Pulls every change from the stored cursor (`LocalStore.useTables` dropped it if it covers
 * other tables). A 410 `resync_required` queues the edits the server acknowledged again,
 * pushes them (`pushQueued`) and pulls from scratch, replacing the copy. Returns the
 * changes pulled.
 */
export async function pullScope(
  http: HttpClient,
  store: LocalStore,
  settings: PullSettings,
  firstSyncDone: boolean,
  report: (progress: SyncProgress) => void,
  pushQueued: () => Promise<unknown>,
): Promise<number> {
  const request = pageRequester(http, settings);
  let cursor = await store.cursor();
  // Without a cursor after a first sync done, the scope was empty: no catch-up to report.
  let catchingUp = !cursor && !firstSyncDone;
  if (catchingUp) report({ catchingUp, pulled: 0, firstSyncDone });
  let next = request(cursor, !cursor);
  let pulled = 0;
  let resyncs = 0;
  try {
    for (;;) {
      let page: PullResponse;
      try {
        page = await next;
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 410 && resyncs < 3)) throw err;
        resyncs += 1;
        // The server lost changes (a restore, a promoted replica) or compacted them: what it
        // acknowledged and lost goes back to it, then the copy becomes its.
        await store.reconcile(settings.tables);
        await pushQueued();
        catchingUp = true;
        next = request((cursor = undefined), true);
        continue;
      }
      if (page.next_cursor) cursor = page.next_cursor;
      // The next page is on its way while this one is stored.
      if (page.has_more) next = request(cursor, true);
      await store.applyPage(page.changes, page.next_cursor, !page.has_more);
      pulled += page.changes.length;
      const done = firstSyncDone || !page.has_more;
      catchingUp ||= page.has_more;
      if (catchingUp || done !== firstSyncDone) report({ catchingUp: page.has_more, pulled, firstSyncDone: done });
      firstSyncDone = done;
      if (!page.has_more) return pulled;
    }
  } catch (err) {
    // Stopped half-way (offline, …): no longer under way; the next sync goes on from its cursor.
    if (catchingUp) report({ catchingUp: false, pulled, firstSyncDone });
    throw err;
  }
}

/** Asks for one page; a failure is left to whoever awaits it (or drops it). */
function pageRequester(http: HttpClient, settings: PullSettings) {
  return (cursor: string | undefined, far: boolean): Promise<PullResponse> => {
    const params = new URLSearchParams({ limit: String(far ? settings.catchUpLimit : settings.limit) });
    if (cursor) params.set('cursor', cursor);
    if (settings.tables) params.set('tables', tablesKey(settings.tables));
    const page = http.request<PullResponse>('GET', `/api/sync/pull-changes?${params}`, {
      queueWhenOffline: false,
      retry: { attempts: 3 },
    });
    page.catch(() => undefined); // awaited later, or dropped when storing the page before it failed
    return page;
  };
}
