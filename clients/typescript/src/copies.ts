/**
 * The device's copy of the records, in two layers. The records a catch-up page brings that
 * the device holds no copy of (a first sync, a till far behind) are stored
 * {@link PACK_ROWS} to an IndexedDB value (`packs`): Chromium spends 50-100 µs on every
 * request whatever its size, so one request per record cannot store 100,000 records in
 * seconds, and one per pack can. Everything else (local edits, realtime events, pulls near
 * the head, merges) writes one row per record (`records`), and a row hides the packed copy
 * of its record: the copy is the row if there is one, otherwise the record's packed copy.
 * A record is in at most one pack. Reads go through here; transactions that use them span
 * {@link copyTables}.
 */
import { Dexie } from 'dexie';
import { keyOf, META, type Key, type LocalRecord, type PossyncDB } from './db.js';
import { bare } from './indexes.js';
import { packTermsOf } from './packedTerms.js';

/** Records per pack: reading one record from a pack unpacks them all (~1.5 ms for 250). */
export const PACK_ROWS = 250;

/** A table whose rows outnumber this is not packed (listing its rows would cost more). */
const MAX_ROWS_BESIDE_PACKS = 20_000;

/** Between the ids of a pack (`PackIds`); the server refuses record ids holding it. */
const SEPARATOR = '\u0000';

/** The stores a transaction reading or writing copies must span. */
export const copyTables = (db: PossyncDB) => [db.records, db.packs, db.packIds, db.packTerms, db.meta];

/** Which pack holds each packed record, per database, as of a packs generation. */
const packedByDb = new WeakMap<PossyncDB, { generation: number; packs: Map<string, number> }>();

/**
 * Which pack holds each packed record (`keyOf` → pack id), read again when another tab (or
 * an aborted transaction) changed the packs since it was last read.
 */
export async function packedKeys(db: PossyncDB): Promise<Map<string, number>> {
  const generation = Number((await db.meta.get(META.packs))?.value ?? 0);
  const known = packedByDb.get(db);
  if (known?.generation === generation) return known.packs;
  const packs = new Map<string, number>();
  for (const { pack, table_name, ids } of generation > 0 ? await db.packIds.toArray() : []) {
    for (const id of ids.split(SEPARATOR)) packs.set(keyOf([table_name, id]), pack);
  }
  packedByDb.set(db, { generation, packs });
  return packs;
}

/**
 * The copies of `keys` (undefined: the device holds no copy), in order; `packed` is
 * `packedKeys(db)` when the caller has it already.
 */
export async function copiesOf(db: PossyncDB, keys: Key[], packed?: Map<string, number>): Promise<(LocalRecord | undefined)[]> {
  const rows = (await db.records.bulkGet(keys as [string, string][])).map(bare);
  packed ??= await packedKeys(db);
  const wanted = new Set<number>();
  keys.forEach((key, i) => {
    const pack = rows[i] ? undefined : packed.get(keyOf(key));
    if (pack !== undefined) wanted.add(pack);
  });
  if (wanted.size === 0) return rows;
  const ids = [...wanted];
  const packs = await db.packs.bulkGet(ids);
  const unpacked = new Map<string, LocalRecord>();
  for (const pack of packs) for (const row of pack?.rows ?? []) unpacked.set(keyOf([row.table_name, row.record_id]), row);
  return rows.map((row, i) => row ?? unpacked.get(keyOf(keys[i]!)));
}

export async function copyOf(db: PossyncDB, key: Key): Promise<LocalRecord | undefined> {
  return (await copiesOf(db, [key]))[0];
}

/** Every copy of a table's records, by id. */
export async function tableCopies(db: PossyncDB, table: string): Promise<LocalRecord[]> {
  const rows = (await db.records.where(':id').between([table, Dexie.minKey], [table, Dexie.maxKey]).toArray()).map(bare);
  const packs = await db.packs.where('table_name').equals(table).toArray();
  if (packs.length === 0) return rows;
  const hidden = new Set(rows.map((r) => r.record_id));
  const all = [...rows];
  for (const pack of packs) for (const row of pack.rows) if (!hidden.has(row.record_id)) all.push(row);
  return all.sort((a, b) => (a.record_id < b.record_id ? -1 : a.record_id > b.record_id ? 1 : 0));
}

/** Every copy the device holds, of every table. */
export async function allCopies(db: PossyncDB): Promise<LocalRecord[]> {
  const tables = new Set<string>((await db.packs.orderBy('table_name').uniqueKeys()) as string[]);
  for (const [table] of (await db.records.toCollection().primaryKeys()) as Key[]) tables.add(table);
  let all: LocalRecord[] = [];
  for (const table of [...tables].sort()) all = all.concat(await tableCopies(db, table));
  return all;
}

/** Stores the index terms of a pack's rows (none for a table without indexes). */
function addPackTerms(db: PossyncDB, pack: number, table: string, rows: LocalRecord[]): Promise<unknown> {
  const fields = packTermsOf(db.indexes, table, rows);
  return fields ? db.packTerms.add({ pack, table_name: table, fields }) : Promise.resolve();
}

/**
 * Stores the index terms of every copy again when the index spec (`db.indexes`) is not the
 * one they were made with; returns whether it did.
 */
export async function indexCopies(db: PossyncDB): Promise<boolean> {
  return db.transaction('rw', copyTables(db), async () => {
    if ((await db.meta.get(META.indexes))?.value === db.indexes.key) return false;
    await db.records.bulkPut(await db.records.toArray());
    await db.packTerms.clear();
    const adds: Promise<unknown>[] = [];
    await db.packs.each((pack) => adds.push(addPackTerms(db, pack.pack!, pack.table_name, pack.rows)));
    await Promise.all(adds);
    const generation = Number((await db.meta.get(META.packs))?.value ?? 0) + 1;
    await db.meta.bulkPut([
      { key: META.indexes, value: db.indexes.key },
      { key: META.packs, value: generation }, // tabs read the packs' terms again
    ]);
    return true;
  });
}

/**
 * Packs the server copies (`copyOf(item)`) of the records among `items` the device holds no
 * copy of, in the current transaction, unless their table has more rows than packing pays
 * for. Returns the items left for a merge (held records, a record twice, crowded tables),
 * in their order.
 */
export async function packNew<T extends { table_name: string; record_id: string }>(
  db: PossyncDB,
  items: T[],
  copyOf: (item: T) => LocalRecord,
): Promise<T[]> {
  const packed = await packedKeys(db);
  const byTable = new Map<string, T[]>();
  for (const item of items) {
    const ofTable = byTable.get(item.table_name);
    if (ofTable) ofTable.push(item);
    else byTable.set(item.table_name, [item]);
  }
  const left = new Set<T>();
  let newPacks = 0;
  for (const [table, ofTable] of byTable) {
    const range = db.records.where(':id').between([table, Dexie.minKey], [table, Dexie.maxKey]);
    if ((await range.count()) > MAX_ROWS_BESIDE_PACKS) {
      ofTable.forEach((item) => left.add(item));
      continue;
    }
    const held = new Set(((await range.primaryKeys()) as Key[]).map(keyOf));
    const fresh: T[] = [];
    for (const item of ofTable) {
      const key = keyOf([table, item.record_id]);
      if (held.has(key) || packed.has(key)) left.add(item);
      else (held.add(key), fresh.push(item));
    }
    for (let i = 0; i < fresh.length; i += PACK_ROWS) {
      const rows = fresh.slice(i, i + PACK_ROWS).map(copyOf);
      const id = await db.packs.add({ table_name: table, rows });
      await db.packIds.add({ pack: id, table_name: table, ids: rows.map((r) => r.record_id).join(SEPARATOR) });
      await addPackTerms(db, id, table, rows);
      for (const row of rows) packed.set(keyOf([table, row.record_id]), id);
      newPacks++;
    }
  }
  if (newPacks > 0) {
    const known = packedByDb.get(db)!;
    known.generation += 1;
    await db.meta.put({ key: META.packs, value: known.generation });
  }
  return items.filter((item) => left.has(item));
}

/** The ids of every record the device holds a copy of (rows and packed), by table. */
export async function heldIds(db: PossyncDB): Promise<Map<string, Set<string>>> {
  const held = new Map<string, Set<string>>();
  const add = (table: string, id: string) => (held.get(table) ?? held.set(table, new Set()).get(table)!).add(id);
  for (const [table, id] of (await db.records.toCollection().primaryKeys()) as Key[]) add(table, id);
  for (const { table_name, ids } of await db.packIds.toArray()) for (const id of ids.split(SEPARATOR)) add(table_name, id);
  return held;
}

/**
 * Drops the copies of `keys`, rows and packed (a pack is written again without them), in
 * the current transaction over {@link copyTables}.
 */
export async function dropCopies(db: PossyncDB, keys: Key[]): Promise<void> {
  if (keys.length === 0) return;
  await db.records.bulkDelete(keys as [string, string][]);
  const packed = await packedKeys(db);
  const byPack = new Map<number, Set<string>>();
  for (const key of keys) {
    const pack = packed.get(keyOf(key));
    if (pack !== undefined) (byPack.get(pack) ?? byPack.set(pack, new Set()).get(pack)!).add(key[1]);
  }
  if (byPack.size === 0) return;
  for (const [id, dropped] of byPack) {
    const { table_name: table, rows } = (await db.packs.get(id))!;
    const kept = rows.filter((row) => !dropped.has(row.record_id));
    await Promise.all([db.packs.delete(id), db.packIds.delete(id), db.packTerms.delete(id)]);
    if (kept.length === 0) continue;
    await db.packs.add({ pack: id, table_name: table, rows: kept });
    await db.packIds.add({ pack: id, table_name: table, ids: kept.map((r) => r.record_id).join(SEPARATOR) });
    await addPackTerms(db, id, table, kept);
  }
  const generation = Number((await db.meta.get(META.packs))?.value ?? 0) + 1;
  await db.meta.put({ key: META.packs, value: generation }); // every tab reads the packs again
}
