/**
 * The index terms of packed copies (`copies.ts`). A multi-entry IndexedDB index over the
 * packs cost ~20 µs per entry while a first sync stored them (a first sync of 200,000
 * records took 10.4 s instead of ~4), so each pack's terms are one more value instead
 * (`packTerms`: per field, the values of its records joined, in the order of its ids in
 * `packIds`), and
 * a query reads a table's in one request, the first time in a tab and again only when packs
 * were added or cleared, into a sorted array it searches by halves.
 */
import { META, type LocalRecord, type PackTerms, type PossyncDB } from './db.js';
import type { Indexes } from './indexes.js';

/** Between the values of a pack's records (the server refuses record ids holding it). */
const SEPARATOR = '\u0000';
/** Marks a number among the joined values. */
const NUMBER = '\u0001';

/** One packed copy's value of one field, and where it is. */
export interface PackedEntry {
  value: string | number;
  id: string;
  pack: number;
}

/** The terms of a new pack: per indexed field, its records' values joined (undefined: none). */
export function packTermsOf(indexes: Indexes, table: string, rows: LocalRecord[]): Record<string, string> | undefined {
  const fields = indexes.fieldsOf(table);
  if (fields.size === 0) return undefined;
  const joined: Record<string, string> = {};
  for (const [field, kind] of fields) {
    joined[field] = rows
      .map((row) => {
        const value = row.is_deleted || !row.data ? undefined : indexes.value(kind, row.data[field]);
        return typeof value === 'number' ? `${NUMBER}${value}` : (value ?? '').replaceAll(SEPARATOR, '');
      })
      .join(SEPARATOR);
  }
  return joined;
}

/** IndexedDB's order of two values of one index: numbers before strings. */
export function compareValues(a: string | number, b: string | number): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const compareEntries = (a: PackedEntry, b: PackedEntry) => compareValues(a.value, b.value) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Sorted entries per database, table and field, as of a packs generation. */
const cache = new WeakMap<PossyncDB, { generation: number; entries: Map<string, PackedEntry[]> }>();

/**
 * Every packed copy of `table` with `field` set, sorted by value then id. Inside a
 * transaction over `copyTables`.
 */
export async function packedEntries(db: PossyncDB, table: string, field: string): Promise<PackedEntry[]> {
  const generation = Number((await db.meta.get(META.packs))?.value ?? 0);
  let known = cache.get(db);
  if (known?.generation !== generation) cache.set(db, (known = { generation, entries: new Map() }));
  const key = `${table}${SEPARATOR}${field}`;
  const held = known.entries.get(key);
  if (held) return held;
  const entries: PackedEntry[] = [];
  const packs: PackTerms[] = await db.packTerms.where('table_name').equals(table).toArray();
  const ids = packs.length > 0 ? await db.packIds.bulkGet(packs.map((p) => p.pack)) : [];
  packs.forEach(({ pack, fields }, n) => {
    const values = fields[field]?.split(SEPARATOR);
    if (!values) return;
    ids[n]!.ids.split(SEPARATOR).forEach((id, i) => {
      const value = values[i]!;
      if (value === '') return;
      entries.push({ value: value[0] === NUMBER ? Number(value.slice(1)) : value, id, pack });
    });
  });
  entries.sort(compareEntries);
  known.entries.set(key, entries);
  return entries;
}

/** The first index of `entries` not before `probe` (`after`: the first after it). */
export function searchEntries(entries: PackedEntry[], probe: (entry: PackedEntry) => number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (probe(entries[middle]!) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
