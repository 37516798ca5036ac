/**
 * Server changes into the device's copy (pull pages, realtime events, conflict outcomes):
 * applied by `sync_version`, a record with a queued data edit only moves its base, and a
 * page is written with as few IndexedDB requests as its records allow.
 */
import { copiesOf, copyTables, PACK_ROWS, packedKeys, packNew } from './copies.js';
import { countersOf, dropHeld, isDataEdit } from './counters.js';
import { keyOf, type LocalRecord, type PossyncDB, type RecordData, type ServerBase } from './db.js';
import type { Change } from './types.js';

/** A server change in the shape every source (pull, event, conflict) is turned into. */
export type ServerChange = Pick<
  Change,
  'table_name' | 'record_id' | 'is_deleted' | 'sync_version' | 'server_updated_at'
> & { data: unknown };

/**
 * Which server changes replace a held copy: `newer` versions only (pulls, events), or any
 * that differs from it (a resync after the server lost changes, whose versions start over:
 * `reconcile.ts`).
 */
export type Overwrite = 'newer' | 'always';

/**
 * Server changes written per IndexedDB round. Issuing a request costs Chromium's main thread
 * 25-50 µs (up to ~200 µs on a loaded machine), so a round is one task of ~10-50 ms, well
 * under the 100 ms that makes a page feel stuck; larger rounds store no faster (the
 * IndexedDB backend sets the pace: 100,000 records took 8.5-8.8 s with rounds of 250 or 500).
 */
const SLICE = 250;

/**
 * Applies server changes, in order, in one transaction (see `LocalStore.apply`). Chromium
 * spends 50-100 µs on every IndexedDB request, whatever its size, so the records of a large
 * batch (a catch-up page) the device holds no copy of are packed, 250 a request
 * (`copies.ts`); otherwise a record the device does not hold yet costs one request (an
 * `add`, which the store refuses for a record it holds as a row, whoever wrote it), and only
 * held records are read and merged (three requests a slice; first thing, while slices come
 * back mostly held, as in a resync of a full store). Each slice of {@link SLICE} is one
 * main-thread task. Returns the tables whose local records changed.
 */
export async function applyServerChanges(db: PossyncDB, changes: ServerChange[], overwrite: Overwrite = 'newer'): Promise<Set<string>> {
  const touched = new Set<string>();
  if (changes.length === 0) return touched;
  await db.transaction('rw', [...copyTables(db), db.outbox, db.sentIncrements], async () => {
    let rest = changes;
    if (changes.length >= PACK_ROWS) {
      rest = await packNew(db, changes, (c) => merged(undefined, c, false)!.row);
      const left = new Set(rest);
      for (const c of changes) if (!left.has(c)) touched.add(c.table_name);
    }
    const packed = await packedKeys(db);
    let readFirst = false;
    for (let i = 0; i < rest.length; i += SLICE) {
      const slice = rest.slice(i, i + SLICE);
      // A packed record is held without a row: an `add` would hide its copy, whatever version.
      const inPacks = new Set(slice.filter((c) => packed.has(keyOf([c.table_name, c.record_id]))));
      const rowsOnly = slice.filter((c) => !inPacks.has(c));
      const held = new Set(readFirst ? rowsOnly : await addNew(db, rowsOnly, touched));
      const merging = slice.filter((c) => inPacks.has(c) || held.has(c));
      const found: number = merging.length > 0 ? await mergeHeld(db, merging, touched, packed, overwrite) : 0;
      readFirst = found > slice.length / 2;
    }
  });
  return touched;
}

/** Adds the records the device does not hold; returns the changes of those it holds. */
async function addNew(db: PossyncDB, changes: ServerChange[], touched: Set<string>): Promise<ServerChange[]> {
  let taken: Record<number, Error> = {};
  try {
    await db.records.bulkAdd(changes.map((c) => merged(undefined, c, false)!.row));
  } catch (err) {
    taken = (err as { failuresByPos?: Record<number, Error> }).failuresByPos!;
    // Anything but "the key is taken" (a full disk, …) fails the page.
    if (!taken || Object.values(taken).some((e) => e.name !== 'ConstraintError')) throw err;
  }
  changes.forEach((c, j) => taken[j] || touched.add(c.table_name));
  return changes.filter((_, j) => taken[j]);
}

/**
 * Merges changes by what the device holds: three requests (read, outbox, write) for all.
 * Returns how many of their records it held.
 */
async function mergeHeld(
  db: PossyncDB,
  changes: ServerChange[],
  touched: Set<string>,
  packed: Map<string, number>,
  overwrite: Overwrite,
): Promise<number> {
  const keys = changes.map((c): [string, string] => [c.table_name, c.record_id]);
  const found = await copiesOf(db, keys, packed);
  const current = new Map(keys.map((key, i) => [keyOf(key), found[i]]));
  const queuedKeys = await db.outbox.where('[table_name+record_id]').anyOf(keys).keys();
  const queued = new Set(queuedKeys.map((key) => keyOf(key as unknown as [string, string])));
  // Records of counter tables with only increments queued take server changes.
  const counted = keys.filter((key) => countersOf(key[0]).length > 0 && queued.has(keyOf(key)));
  if (counted.length > 0) {
    for (const key of counted) queued.delete(keyOf(key));
    const entries = await db.outbox.where('[table_name+record_id]').anyOf(counted).toArray();
    for (const e of entries) if (isDataEdit(e)) queued.add(keyOf([e.table_name, e.record_id]));
  }
  const writes = new Map<string, LocalRecord>();
  for (const change of changes) {
    const key = keyOf([change.table_name, change.record_id]);
    const next = merged(current.get(key), change, queued.has(key), overwrite);
    if (!next) continue;
    current.set(key, next.row);
    writes.set(key, next.row);
    if (next.changed) touched.add(change.table_name);
  }
  if (writes.size > 0) {
    await db.records.bulkPut([...writes.values()]);
    await dropHeld(db, [...writes.values()].map((r): [string, string] => [r.table_name, r.record_id]));
  }
  return found.filter(Boolean).length;
}

/** Whether a held server state keeps `change` out: as new or newer, or (`always`) the same. */
function keeps(held: ServerBase | null | undefined, change: ServerChange, overwrite: Overwrite): boolean {
  if (overwrite === 'newer') return (held?.sync_version ?? 0) >= change.sync_version;
  return (
    !!held &&
    held.sync_version === change.sync_version &&
    held.is_deleted === change.is_deleted &&
    JSON.stringify(held.data) === JSON.stringify(change.data ?? null)
  );
}

/**
 * The record after `change`, or nothing to write. With an edit queued only the edit's base
 * moves (the local record is unchanged); otherwise the change replaces it as `overwrite` says.
 */
function merged(
  current: LocalRecord | undefined,
  change: ServerChange,
  queued: boolean,
  overwrite: Overwrite = 'newer',
): { row: LocalRecord; changed: boolean } | null {
  const data = (change.data ?? null) as RecordData | null;
  if (queued) {
    if (!current || keeps(current.base, change, overwrite)) return null;
    return { row: { ...current, base: { data, is_deleted: change.is_deleted, sync_version: change.sync_version } }, changed: false };
  }
  if (current && keeps(current, change, overwrite)) return null;
  const row: LocalRecord = {
    table_name: change.table_name,
    record_id: change.record_id,
    data,
    is_deleted: change.is_deleted,
    sync_version: change.sync_version,
  };
  if (current?.local_updated_at) row.local_updated_at = current.local_updated_at;
  return { row, changed: true };
}
