/**
 * The IndexedDB integration: local add/update/delete/increment are captured in the SAME
 * IndexedDB transaction as the outbox entry that will push them (no table hooks), and server
 * changes (pull pages, realtime events, conflict outcomes) are applied idempotently by
 * `sync_version` (a resync after the server lost changes takes any version: `reconcile.ts`).
 * Reads show counters with this device's pending increments (`counters.ts`).
 */
import { Dexie } from 'dexie';
import {
  checkIncrements,
  countersOf,
  isDataEdit,
  keepCounters,
  supersede,
  withoutUnsetCounters,
  withPending,
  type Increments,
} from './counters.js';
import { allCopies, copyOf, copyTables, tableCopies } from './copies.js';
import { META, type LocalRecord, type OutboxEntry, type PossyncDB, type RecordData } from './db.js';
import { applyServerChanges, type ServerChange } from './merge.js';
import { beginReconcile, finishReplacing, markSeen, reconcileTables, replacing, type Reconcile } from './reconcile.js';
import { checkData, checkKey } from './rules.js';
import { randomId } from './util.js';
import { sumTables, type TableSum } from './verify.js';

export type { ServerChange } from './merge.js';

export interface WriteOptions {
  /** Higher is pushed first (default 0). */
  priority?: number;
}

/** What `LocalStore.write` hands its callback: every call joins the one transaction. */
export interface Writer {
  put(table: string, id: string, data: RecordData, options?: WriteOptions): Promise<void>;
  /** Merges top-level fields into the record's data. */
  patch(table: string, id: string, fields: RecordData, options?: WriteOptions): Promise<void>;
  delete(table: string, id: string, options?: WriteOptions): Promise<void>;
  /**
   * Adds `increments` to counter fields of a record this device holds (`{ quantity: -1 }`):
   * they add up with other tills' instead of overwriting them, and show at once.
   */
  increment(table: string, id: string, increments: Increments, options?: WriteOptions): Promise<void>;
  /** The record as a page shows it (counters with pending increments). */
  get(table: string, id: string): Promise<LocalRecord | undefined>;
}

export class LocalStore {
  constructor(
    readonly db: PossyncDB,
    /** Told after every committed write, with the tables it touched. */
    private readonly onCommitted: (tables: string[], local: boolean) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `fn` in one read-write IndexedDB transaction over the records and the outbox: all
   * its writes and their outbox entries commit together, or (if `fn` throws) none does.
   */
  async write<T>(fn: (writer: Writer) => Promise<T>): Promise<T> {
    const { db } = this;
    const touched = new Set<string>();
    const result = await db.transaction('rw', [...copyTables(db), db.outbox, db.sentIncrements], async () => {
      const writer: Writer = {
        put: (table, id, data, options) => this.record(table, id, data, () => ({ data, is_deleted: false }), options, touched),
        patch: (table, id, fields, options) =>
          this.record(table, id, fields, (current) => ({ data: { ...(current?.data ?? {}), ...fields }, is_deleted: false }), options, touched),
        delete: (table, id, options) =>
          this.record(table, id, {}, (current) => ({ data: current?.data ?? null, is_deleted: true }), options, touched),
        increment: (table, id, increments, options) => this.increments(table, id, increments, options, touched),
        get: (table, id) => this.get(table, id),
      };
      return fn(writer);
    });
    if (touched.size > 0) this.onCommitted([...touched], true);
    return result;
  }

  put(table: string, id: string, data: RecordData, options?: WriteOptions): Promise<void> {
    return this.write((w) => w.put(table, id, data, options));
  }

  patch(table: string, id: string, fields: RecordData, options?: WriteOptions): Promise<void> {
    return this.write((w) => w.patch(table, id, fields, options));
  }

  delete(table: string, id: string, options?: WriteOptions): Promise<void> {
    return this.write((w) => w.delete(table, id, options));
  }

  increment(table: string, id: string, increments: Increments, options?: WriteOptions): Promise<void> {
    return this.write((w) => w.increment(table, id, increments, options));
  }

  /**
   * The record as a page shows it: counters include this device's pending increments. Reads
   * return the transaction's own promise (no `async` around it): inside a live query, an
   * `async` method around a transaction let it commit before it was done (Dexie's
   * PrematureCommitError, seen under vitest).
   */
  get(table: string, id: string): Promise<LocalRecord | undefined> {
    const { db } = this;
    return db.transaction('r', [...copyTables(db), db.outbox, db.sentIncrements], async () => {
      const row = await copyOf(db, [table, id]);
      return row && (await withPending(db, [row]))[0];
    });
  }

  /** The live (not deleted) records of a table, as a page shows them (see `get`). */
  list(table: string, options: { includeDeleted?: boolean } = {}): Promise<LocalRecord[]> {
    const { db } = this;
    return db
      .transaction('r', [...copyTables(db), db.outbox, db.sentIncrements], async () => withPending(db, await tableCopies(db, table)))
      .then((rows) => (options.includeDeleted ? rows : rows.filter((r) => !r.is_deleted)));
  }

  /**
   * One local edit inside the current transaction: the record and its outbox entry. `given`
   * is what the caller wrote: counters it leaves out keep the local copy's values (and are
   * not pushed, so the server keeps its own); a counter it sets ends the record's earlier
   * increments showing.
   */
  private async record(
    table: string,
    id: string,
    given: RecordData,
    next: (current: LocalRecord | undefined) => { data: RecordData | null; is_deleted: boolean },
    options: WriteOptions | undefined,
    touched: Set<string>,
  ): Promise<void> {
    checkKey(table, id);
    const { db } = this;
    const current = await copyOf(db, [table, id]);
    const edit = next(current);
    const { is_deleted } = edit;
    let { data } = edit;
    let pushed = data;
    if (data && countersOf(table).length > 0) pushed = withoutUnsetCounters(table, data, given);
    if (!is_deleted) checkData(table, id, pushed, this.now());
    if (data && countersOf(table).length > 0) {
      data = keepCounters(table, data, current?.data);
      if (countersOf(table).some((c) => given[c] !== undefined)) await supersede(db, table, id);
    }
    const stamp = await this.nextLocalTime();
    const queued = await db.outbox.where('[table_name+record_id]').equals([table, id]).filter(isDataEdit).count();
    const syncVersion = current?.sync_version ?? 0;
    // The server state this edit replaces, kept while edits are queued so that a refused
    // edit can be rolled back to it.
    const base =
      queued > 0
        ? current?.base ?? null
        : current && syncVersion > 0
          ? { data: current.data, is_deleted: current.is_deleted, sync_version: syncVersion }
          : null;
    await db.records.put({
      table_name: table,
      record_id: id,
      data,
      is_deleted,
      sync_version: syncVersion,
      local_updated_at: stamp,
      base,
    });
    const priority = options?.priority ?? 0;
    const entry: OutboxEntry = {
      table_name: table,
      record_id: id,
      data: pushed,
      is_deleted,
      local_updated_at: stamp,
      priority,
      rank: -priority,
      attempts: 0,
    };
    if (syncVersion > 0) entry.base_version = syncVersion;
    await db.outbox.add(entry);
    touched.add(table);
  }

  /** An increments-only edit inside the current transaction: its outbox entry alone. */
  private async increments(
    table: string,
    id: string,
    increments: Increments,
    options: WriteOptions | undefined,
    touched: Set<string>,
  ): Promise<void> {
    checkKey(table, id);
    checkIncrements(table, increments);
    const current = await copyOf(this.db, [table, id]);
    if (!current || current.is_deleted || !current.data) {
      throw new Error(`possync: no ${table} record ${id} on this device to add increments to`);
    }
    const priority = options?.priority ?? 0;
    const entry: OutboxEntry = {
      table_name: table,
      record_id: id,
      data: null,
      is_deleted: false,
      local_updated_at: await this.nextLocalTime(),
      priority,
      rank: -priority,
      attempts: 0,
      increments: { ...increments },
      edit_id: randomId(),
    };
    if (current.sync_version > 0) entry.base_version = current.sync_version;
    await this.db.outbox.add(entry);
    touched.add(table);
  }

  /**
   * A strictly increasing edit time for this device: two edits in the same millisecond
   * would otherwise look like a retry of one edit to the server.
   */
  private async nextLocalTime(): Promise<string> {
    const last = (await this.db.meta.get(META.lastLocalTime))?.value;
    let now = this.now();
    if (typeof last === 'number' && now <= last) now = last + 1;
    await this.db.meta.put({ key: META.lastLocalTime, value: now });
    return new Date(now).toISOString();
  }

  /**
   * Applies a server change unless the device holds that version or a newer one, or still
   * has an edit of the record's data queued (the push decides first; the change is
   * remembered as the edit's base). Queued increments do not hold it back: they show on top
   * of the new value. Must run inside a transaction over records, outbox and
   * sentIncrements (and `copyTables`), or alone. Returns whether the local record changed.
   */
  async apply(change: ServerChange): Promise<boolean> {
    return (await applyServerChanges(this.db, [change])).size > 0;
  }

  /**
   * Applies one pull page and stores its cursor in the same transaction: after a crash the
   * device resumes exactly after the last page it kept. A page that reaches the server's
   * head (`complete`) marks the first full sync done in it too. While a resync replaces the
   * copy (`reconcile.ts`) the page is stored whatever its versions, and the last one drops
   * what the server no longer holds. Returns the tables that changed.
   */
  async applyPage(changes: ServerChange[], nextCursor: string | null | undefined, complete = false): Promise<string[]> {
    const { db } = this;
    let touched = new Set<string>();
    await db.transaction('rw', [...copyTables(db), db.outbox, db.sentIncrements, ...reconcileTables(db)], async () => {
      const replace = await replacing(db);
      touched = await applyServerChanges(db, changes, replace ? 'always' : 'newer');
      if (replace) await markSeen(db, changes);
      if (replace && complete) for (const table of await finishReplacing(db)) touched.add(table);
      if (nextCursor) await db.meta.put({ key: META.cursor, value: nextCursor });
      if (complete) await db.meta.put({ key: META.firstSyncDone, value: true });
    });
    if (touched.size > 0) this.onCommitted([...touched], false);
    return [...touched];
  }

  /** Applies changes that came from the server outside a pull (events, resolutions). */
  async applyChanges(changes: ServerChange[]): Promise<string[]> {
    const touched = await applyServerChanges(this.db, changes);
    if (touched.size > 0) this.onCommitted([...touched], false);
    return [...touched];
  }

  /**
   * Makes the stored cursor one of `tablesKey`'s: when it covers other tables it is dropped
   * (a till never keeps a cursor past changes of a table it did not pull) and the first full
   * sync is not done. Returns whether it is done.
   */
  async useTables(tablesKey: string): Promise<boolean> {
    const { meta } = this.db;
    return this.db.transaction('rw', meta, async () => {
      const [tables, done] = await meta.bulkGet([META.pullTables, META.firstSyncDone]);
      if ((tables?.value ?? '*') === tablesKey) return done?.value === true;
      await meta.bulkDelete([META.cursor, META.firstSyncDone]);
      await meta.put({ key: META.pullTables, value: tablesKey });
      return false;
    });
  }

  /** Records and checksum per table of the copy (`verify.ts`): reads every copy once. */
  async checksums(): Promise<Map<string, TableSum>> {
    const { db } = this;
    return sumTables(await db.transaction('r', copyTables(db), () => allCopies(db)));
  }

  /** Edits and increments waiting to be pushed. */
  pendingEdits(): Promise<number> {
    return this.db.outbox.count();
  }

  /**
   * Makes the copy of `table` the server's `records` (the whole table in the till's scope):
   * every copy and pack of the table is dropped and the server's records stored as a first
   * sync stores them, whatever their versions. Records with an edit still queued keep their
   * row (their push decides first). Returns the records written and those dropped.
   */
  async replaceTable(table: string, records: ServerChange[]): Promise<{ written: number; dropped: number }> {
    const { db } = this;
    let counts = { written: 0, dropped: 0 };
    await db.transaction('rw', [...copyTables(db), db.outbox, db.sentIncrements], async () => {
      const ofTable = [[table, Dexie.minKey], [table, Dexie.maxKey]] as const;
      const queued = new Set(
        (await db.outbox.where('[table_name+record_id]').between(...ofTable).toArray()).map((e) => e.record_id),
      );
      const held = new Set(records.map((r) => r.record_id));
      const before = await tableCopies(db, table);
      await db.records
        .where(':id')
        .between(...ofTable)
        .filter((r) => !queued.has(r.record_id))
        .delete();
      const packs = (await db.packs.where('table_name').equals(table).primaryKeys()) as number[];
      await Promise.all([db.packs.bulkDelete(packs), db.packIds.bulkDelete(packs), db.packTerms.bulkDelete(packs)]);
      const generation = Number((await db.meta.get(META.packs))?.value ?? 0) + 1;
      await db.meta.put({ key: META.packs, value: generation }); // tabs read the packs again
      await applyServerChanges(db, records);
      counts = {
        written: [...held].filter((id) => !queued.has(id)).length,
        dropped: before.filter((r) => !held.has(r.record_id) && !queued.has(r.record_id)).length,
      };
    });
    this.onCommitted([table], false);
    return counts;
  }

  async cursor(): Promise<string | undefined> {
    const value = (await this.db.meta.get(META.cursor))?.value;
    return typeof value === 'string' ? value : undefined;
  }

  /**
   * After the server refused the cursor (410): queues the edits it acknowledged again and
   * starts a resync that replaces the copy of `tables` (`reconcile.ts`).
   */
  reconcile(tables: readonly string[] | undefined): Promise<Reconcile> {
    return beginReconcile(this.db, tables, this.now());
  }

  /** Notifies listeners (used by the queue and the engine after their own transactions). */
  committed(tables: string[], local: boolean): void {
    if (tables.length > 0) this.onCommitted(tables, local);
  }
}
