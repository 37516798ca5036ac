/**
 * The device's IndexedDB database (through Dexie): its copy of the records (rows and packs,
 * `copies.ts`), the outbox of local edits not yet pushed, counter increments pushed but not
 * yet in the copy, edits the server refused, conflicts waiting for the user, edits the
 * server acknowledged (kept to push again after it lost them, `reconcile.ts`), and small
 * metadata (pull cursor, session, leader lease, whether the first full sync is done).
 */
import { Dexie, type Table } from 'dexie';
import { Indexes } from './indexes.js';

export type RecordData = Record<string, unknown>;

/** The server state a pending local edit is based on (restored if the edit is refused). */
export interface ServerBase {
  data: RecordData | null;
  is_deleted: boolean;
  sync_version: number;
}

/** A record's key: `[table_name, record_id]`. */
export type Key = readonly [string, string];

/** A record's key as one string (for maps and sets). */
export const keyOf = ([table, id]: Key): string => `${table}\u0000${id}`;

/** A record as the device holds it. */
export interface LocalRecord {
  table_name: string;
  record_id: string;
  data: RecordData | null;
  is_deleted: boolean;
  /** The last server version this copy is based on (0: never synced). */
  sync_version: number;
  /** When this device last edited it (RFC 3339), if ever. */
  local_updated_at?: string;
  /** Present while local edits of the record are queued. */
  base?: ServerBase | null;
}

/** Server copies a catch-up page brought, stored together (`copies.ts`). */
export interface Pack {
  pack?: number;
  table_name: string;
  rows: LocalRecord[];
}

/**
 * The ids of a pack's rows, joined by NUL: which pack holds a record is read from these in
 * one request (a multi-entry index of the packs took 15 µs a record to read back).
 */
export interface PackIds {
  pack: number;
  table_name: string;
  ids: string;
}

/**
 * The index terms of a pack's records (`packedTerms.ts`): per field, values joined in the
 * order of the pack's ids (`PackIds`).
 */
export interface PackTerms {
  pack: number;
  table_name: string;
  fields: Record<string, string>;
}

/** An edit waiting to be pushed. */
export interface OutboxEntry {
  seq?: number;
  table_name: string;
  record_id: string;
  data: RecordData | null;
  is_deleted: boolean;
  local_updated_at: string;
  base_version?: number;
  /** Higher goes first; within a priority, edits go in the order they were made. */
  priority: number;
  /** `-priority`, so that the `[rank+seq]` index reads in push order. */
  rank: number;
  /** Push attempts that failed for reasons other than the record itself. */
  attempts: number;
  last_error?: string;
  /** An increments-only edit (`data` null): amounts to add to counter fields. */
  increments?: Record<string, number>;
  /** The edit's id (made once), sent with increments: the server applies it at most once. */
  edit_id?: string;
  /** `false` once a later local write set a counter by value: still pushed, no longer shown. */
  counted?: boolean;
}

/** Increments the server took, until the local copy reaches the version that holds them. */
export interface SentIncrement {
  edit_id: string;
  table_name: string;
  record_id: string;
  increments: Record<string, number>;
  /** The server's `sync_version` that holds them (from the push answer's `versions`). */
  version: number;
}

/** An edit the server refused (a per-record 4xx): out of the queue, kept with its error. */
export interface RejectedEntry extends OutboxEntry {
  seq: number;
  error: string;
  status?: number;
  rejected_at: string;
}

/** An edit the server acknowledged, as it was pushed: pushed again after a restore (`reconcile.ts`). */
export interface AcknowledgedEdit extends Omit<OutboxEntry, 'seq' | 'attempts' | 'last_error' | 'counted'> {
  seq?: number;
  /** When the server's answer came (ms since the epoch). */
  acknowledged_at: number;
}

/** The ids of a table's records a replacing resync has not seen yet (as held when it began). */
export interface Unseen {
  table_name: string;
  ids: string[];
}

/** The records (`keyOf`) one page of a replacing resync brought. */
export interface SeenPage {
  page?: number;
  keys: string[];
}

/** A conflict the server reported, kept until the user resolves it. */
export interface StoredConflict {
  table_name: string;
  record_id: string;
  local_data: RecordData | null;
  server_data: RecordData | null;
  local_updated_at: string;
  server_updated_at: string;
  sync_version: number;
  server_is_deleted: boolean;
  detected_at: string;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export class PossyncDB extends Dexie {
  records!: Table<LocalRecord, [string, string]>;
  outbox!: Table<OutboxEntry, number>;
  rejected!: Table<RejectedEntry, number>;
  conflicts!: Table<StoredConflict, [string, string]>;
  meta!: Table<MetaRow, string>;
  sentIncrements!: Table<SentIncrement, string>;
  packs!: Table<Pack, number>;
  packIds!: Table<PackIds, number>;
  packTerms!: Table<PackTerms, number>;
  acknowledged!: Table<AcknowledgedEdit, number>;
  unseen!: Table<Unseen, string>;
  seen!: Table<SeenPage, number>;

  constructor(
    name: string,
    options?: ConstructorParameters<typeof Dexie>[1],
    /** The local indexes (`indexes.ts`): their terms are added to every copy stored. */
    readonly indexes = new Indexes(),
  ) {
    super(name, options);
    this.version(1).stores({
      records: '[table_name+record_id], table_name',
      outbox: '++seq, [table_name+record_id], [rank+seq]',
      rejected: 'seq, [table_name+record_id]',
      conflicts: '[table_name+record_id], detected_at',
      meta: 'key',
    });
    // Counters (issue 13): outbox entries may carry `increments`, `edit_id` and `counted`.
    this.version(2).stores({ sentIncrements: 'edit_id, [table_name+record_id]' });
    // No `table_name` index: the key's first part lists a table, and every index entry is
    // one more write per pulled record (~10 % of a first sync in Chromium).
    this.version(3).stores({ records: '[table_name+record_id]' });
    // A table's first sync stores its records in packs (`copies.ts`).
    this.version(4).stores({ packs: '++pack, table_name', packIds: 'pack' });
    // Local queries (`indexes.ts`): the index terms of rows, and of packs (`packedTerms.ts`).
    this.version(5).stores({ records: '[table_name+record_id], *terms', packTerms: 'pack, table_name' });
    // Reconcile after a restore (`reconcile.ts`): acknowledged edits, and what a replacing
    // resync has yet to see. New tables only: nothing to carry over (edits acknowledged
    // before the upgrade were not kept).
    this.version(6).stores({ acknowledged: '++seq, acknowledged_at', unseen: 'table_name', seen: '++page' });
    this.use(indexes.middleware());
  }
}

/**
 * Opens the database and keeps it open: a connection the browser drops (`close`, e.g. the
 * user cleared site data or the disk is full) and a `versionchange` from another tab (an app
 * update or a delete) close it; it is reopened right away when possible. `onProblem` hears
 * what went wrong (a newer schema in another tab means this tab should reload).
 */
export function openDatabase(
  name: string,
  onProblem: (message: string) => void = () => {},
  options?: ConstructorParameters<typeof Dexie>[1],
  indexes?: Indexes,
): PossyncDB {
  const db = new PossyncDB(name, options, indexes);
  let stopped = false;
  const reopen = (why: string) => {
    if (stopped) return;
    setTimeout(() => {
      if (stopped || db.isOpen()) return;
      db.open().catch((err: unknown) =>
        onProblem(`${why}; reopening the local database failed: ${String(err)}`),
      );
    }, 0);
  };
  db.on('versionchange', (event: IDBVersionChangeEvent) => {
    db.close({ disableAutoOpen: false });
    if (event.newVersion === null) {
      onProblem('the local database is being deleted by another tab');
      return false;
    }
    onProblem('another tab upgraded the local database (reopened; reload this tab to get the new version)');
    reopen('another tab upgraded the local database');
    return false;
  });
  db.on('close', () => reopen('the browser closed the local database'));
  const close = db.close.bind(db);
  db.close = (opts?: { disableAutoOpen: boolean }) => {
    if (!opts || opts.disableAutoOpen) stopped = true;
    return close(opts);
  };
  const open = db.open.bind(db);
  db.open = () => {
    stopped = false; // opened again after a close: reopen when the browser drops it
    return open();
  };
  return db;
}

export const META = {
  cursor: 'cursor',
  /** The synced tables the cursor covers (`tablesKey`). */
  pullTables: 'pull_tables',
  firstSyncDone: 'first_sync_done',
  session: 'session',
  lastLocalTime: 'last_local_time',
  lastSyncAt: 'last_sync_at',
  lease: 'leader_lease',
  /** Whose data the device holds (`handover.ts`). */
  scope: 'data_scope',
  /** Bumped whenever packs are added or cleared (tabs re-read which records are packed). */
  packs: 'packs_generation',
  /** The index spec the stored terms were made with (`Indexes.key`). */
  indexes: 'indexes',
  /** Set while a resync replaces the copy with the server's (`reconcile.ts`). */
  replacing: 'replacing',
} as const;
