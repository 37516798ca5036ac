/**
 * Local queries on the indexes of `indexes.ts`: `where(field)` `equals` / `between` /
 * `startsWith`, `orderBy(field)`, `reverse`, `offset` and `limit`, served from the terms'
 * IndexedDB index, never by reading a table. A copy is a row of `records` or a packed copy
 * (`copies.ts`), and a row hides its record's packed copy, so both are read in index order
 * and a packed entry whose record has a row is dropped. Results are records as a page shows
 * them: counters with this device's pending increments.
 */
import { copyTables } from './copies.js';
import { withPending } from './counters.js';
import type { LocalRecord, PossyncDB } from './db.js';
import { bare, type Term } from './indexes.js';
import { compareValues, packedEntries, searchEntries } from './packedTerms.js';

/** A value to compare with (a `Date` for a `time` index too). */
type Value = string | number | Date;

/** What a query selects: a value range of one indexed field, its direction and window. */
interface QuerySpec {
  table: string;
  field: string;
  lower?: Bound;
  upper?: Bound;
  reverse: boolean;
  offset: number;
  limit: number;
}

/** One end of a range (as its index holds values) and whether it is left out. */
interface Bound {
  value: string | number;
  open: boolean;
}

/** Greater than every value (IndexedDB orders arrays after numbers and strings). */
const AFTER: unknown[] = [];

/** A query's results, run when awaited through `toArray`, `first` or `count`. */
export class Query<R = LocalRecord> {
  constructor(
    private readonly db: PossyncDB,
    private readonly spec: QuerySpec,
  ) {}

  /** Last first. */
  reverse(): Query<R> {
    return new Query(this.db, { ...this.spec, reverse: !this.spec.reverse });
  }

  limit(count: number): Query<R> {
    return new Query(this.db, { ...this.spec, limit: Math.max(0, count) });
  }

  offset(count: number): Query<R> {
    return new Query(this.db, { ...this.spec, offset: Math.max(0, count) });
  }

  // No `async` here: see `LocalStore.get`.
  toArray(): Promise<R[]> {
    return runQuery(this.db, this.spec) as Promise<R[]>;
  }

  first(): Promise<R | undefined> {
    return this.limit(1)
      .toArray()
      .then((rows) => rows[0]);
  }

  count(): Promise<number> {
    return this.db.transaction('r', copyTables(this.db), () => matches(this.db, this.spec)).then((found) => found.length);
  }
}

/** `where(field)`: the range to select. */
export class Where<R = LocalRecord> {
  constructor(
    private readonly db: PossyncDB,
    private readonly table: string,
    private readonly field: string,
  ) {}

  equals(value: Value): Query<R> {
    return this.range(this.bound(value, false), this.bound(value, false));
  }

  /** From `lower` to `upper`, by default including `lower` and not `upper`. */
  between(lower: Value, upper: Value, includeLower = true, includeUpper = false): Query<R> {
    return this.range(this.bound(lower, !includeLower), this.bound(upper, !includeUpper));
  }

  above(value: Value): Query<R> {
    return this.range(this.bound(value, true), undefined);
  }

  atLeast(value: Value): Query<R> {
    return this.range(this.bound(value, false), undefined);
  }

  below(value: Value): Query<R> {
    return this.range(undefined, this.bound(value, true));
  }

  atMost(value: Value): Query<R> {
    return this.range(undefined, this.bound(value, false));
  }

  /** Text starting with `prefix` (folded for a `text` index: `حلي` finds `حَليب`). */
  startsWith(prefix: string): Query<R> {
    if (this.db.indexes.kind(this.table, this.field) === 'time') throw new Error(`possync: ${this.table}.${this.field} is a time: use between`);
    const start = this.bound(prefix, false);
    return this.range(start, { value: `${start.value}\uffff`, open: false });
  }

  /** Every record with the field set, in its order. */
  all(): Query<R> {
    return this.range(undefined, undefined);
  }

  /** `value` as the index holds it; throws when it cannot be one of its values. */
  private bound(value: Value, open: boolean): Bound {
    const kind = this.db.indexes.kind(this.table, this.field);
    const normal = this.db.indexes.value(kind, value);
    if (normal === undefined) {
      throw new Error(`possync: ${this.table}.${this.field}: ${JSON.stringify(value)} is not a ${kind === 'time' ? 'date-time' : 'string or number'}`);
    }
    return { value: normal, open };
  }

  private range(lower: Bound | undefined, upper: Bound | undefined): Query<R> {
    const { table, field } = this;
    this.db.indexes.kind(table, field);
    return new Query(this.db, { table, field, lower, upper, reverse: false, offset: 0, limit: Infinity });
  }
}

/** A match: its index value, its record id, and the pack holding it (a packed copy). */
interface Match {
  value: string | number;
  id: string;
  pack?: number;
}

/** Packed matches checked for a row that hides them per request (a window's, doubled). */
const hiddenChunk = (wanted: number) => (Number.isFinite(wanted) ? Math.min(Math.max(64, 2 * wanted), 4096) : 4096);

/** The spec's matches, in order, within its window. Inside a transaction over `copyTables`. */
async function matches(db: PossyncDB, spec: QuerySpec): Promise<Match[]> {
  const { table, field, lower, upper, reverse } = spec;
  const wanted = spec.offset + spec.limit;
  // Rows: their own terms in IndexedDB, `[table, field, value, id]`.
  const low = !lower ? [table, field] : lower.open ? [table, field, lower.value, AFTER] : [table, field, lower.value];
  const high = !upper ? [table, field, AFTER] : upper.open ? [table, field, upper.value] : [table, field, upper.value, AFTER];
  let fromRows = db.records.where('terms').between(low, high, true, !upper?.open);
  if (reverse) fromRows = fromRows.reverse();
  const rows: Match[] = [];
  await (Number.isFinite(wanted) ? fromRows.limit(wanted) : fromRows).eachKey((key) => {
    const [, , value, id] = key as Term;
    rows.push({ value, id });
  });
  // Packed copies: the range of the table's sorted packed entries, less those a row hides.
  const entries = await packedEntries(db, table, field);
  const from = lower ? searchEntries(entries, (e) => (compareValues(e.value, lower.value) < (lower.open ? 1 : 0) ? -1 : 0)) : 0;
  const to = upper ? searchEntries(entries, (e) => (compareValues(e.value, upper.value) < (upper.open ? 0 : 1) ? -1 : 0)) : entries.length;
  const packed: Match[] = [];
  const chunkSize = hiddenChunk(wanted);
  for (let done = 0; packed.length < wanted && done < to - from; done += chunkSize) {
    const count = Math.min(chunkSize, to - from - done);
    const chunk = reverse ? entries.slice(to - done - count, to - done).reverse() : entries.slice(from + done, from + done + count);
    const hidden = await db.records.where(':id').anyOf(chunk.map((m) => [table, m.id])).primaryKeys();
    const hiddenIds = new Set((hidden as [string, string][]).map(([, id]) => id));
    packed.push(...chunk.filter((m) => !hiddenIds.has(m.id)));
  }
  const order = (a: Match, b: Match) => (reverse ? -1 : 1) * (compareValues(a.value, b.value) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...rows, ...packed].sort(order).slice(spec.offset, wanted);
}

function runQuery(db: PossyncDB, spec: QuerySpec): Promise<LocalRecord[]> {
  return db.transaction('r', [...copyTables(db), db.outbox, db.sentIncrements], async () => {
    const found = await matches(db, spec);
    const rows = await db.records.bulkGet(found.filter((m) => m.pack === undefined).map((m) => [spec.table, m.id]));
    const packed = found.filter((m) => m.pack !== undefined);
    const packedIds = new Set(packed.map((m) => m.id));
    const copies = new Map<string, LocalRecord>();
    for (const row of rows) if (row) copies.set(row.record_id, bare(row));
    const packs = packed.length > 0 ? await db.packs.bulkGet([...new Set(packed.map((m) => m.pack!))]) : [];
    for (const pack of packs) {
      for (const row of pack?.rows ?? []) if (packedIds.has(row.record_id)) copies.set(row.record_id, row);
    }
    return withPending(db, found.flatMap((m) => copies.get(m.id) ?? []));
  });
}
