/**
 * Counters on the device (`product_stock.quantity`, `shifts.expected_cash`,
 * `customers.balance`, `customers.points`): increments queued like any edit and shown on top
 * of the server's value until a server copy holds them.
 *
 * What a page reads is the local copy, plus every queued increment of the record that still
 * counts, plus every sent increment whose version is newer than the copy's. The server's
 * push answer (`versions`) says which version holds a sent increment; once the copy reaches
 * it, the increment is dropped. Mirrors `clients/rust/src/counters.rs`.
 */
import { copiesOf, copyOf, copyTables } from './copies.js';
import { keyOf, type Key, type LocalRecord, type OutboxEntry, type PossyncDB, type RecordData, type SentIncrement } from './db.js';
import { COUNTER_FIELDS } from './rules.js';
import type { PushResponse } from './types.js';

/** Amounts to add to counter fields, e.g. `{ quantity: -1 }`. */
export type Increments = Record<string, number>;

/** The counter fields of each table (generated from the server's registry: `rules.ts`). */
export const COUNTERS: ReadonlyMap<string, readonly string[]> = COUNTER_FIELDS;

export const countersOf = (table: string): readonly string[] => COUNTERS.get(table) ?? [];


/** Whether a queued edit writes data (not only increments). */
export const isDataEdit = (entry: OutboxEntry): boolean => !entry.increments;

/** Throws, naming what is wrong, unless `increments` are numbers for counters of `table`. */
export function checkIncrements(table: string, increments: unknown): asserts increments is Increments {
  const fail = (why: string): never => {
    throw new Error(`possync: ${why}`);
  };
  if (!increments || typeof increments !== 'object' || Array.isArray(increments)) {
    fail('increments must be an object of counter names and numbers');
  }
  const names = Object.keys(increments as object);
  if (names.length === 0) fail('increments must name at least one counter');
  const counters = countersOf(table);
  for (const name of names) {
    if (!counters.includes(name)) {
      fail(
        counters.length === 0
          ? `increments.${name}: ${table} has no counters`
          : `increments.${name}: not a counter of ${table} (its counters: ${counters.join(', ')})`,
      );
    }
    const by = (increments as Record<string, unknown>)[name];
    if (typeof by !== 'number' || !Number.isFinite(by)) fail(`increments.${name} must be a number`);
  }
}

/**
 * `data` with `increments` added (an absent or null field counts as 0); a field that is not
 * a number, or a sum out of range, stays as it was (the server refuses those the same way).
 */
export function addIncrements(data: RecordData, increments: Increments): RecordData {
  const next = { ...data };
  for (const [field, by] of Object.entries(increments)) {
    const current = next[field] ?? 0;
    const sum = typeof current === 'number' ? current + by : NaN;
    if (Number.isFinite(sum)) next[field] = sum;
  }
  return next;
}

/** Copies into `data` the counters of `table` it leaves out, from `current`. */
export function keepCounters(table: string, data: RecordData, current: RecordData | null | undefined): RecordData {
  const next = { ...data };
  for (const counter of countersOf(table)) {
    if (next[counter] === undefined && current?.[counter] !== undefined) next[counter] = current[counter];
  }
  return next;
}

/** `data` without the counters of `table` that `given` (what the caller wrote) leaves out. */
export function withoutUnsetCounters(table: string, data: RecordData, given: RecordData): RecordData {
  const next = { ...data };
  for (const counter of countersOf(table)) if (given[counter] === undefined) delete next[counter];
  return next;
}

/**
 * Records as a page reads them: each copy with this device's increments that it does not
 * hold yet. Call inside a transaction over `records`, `outbox` and `sentIncrements`, or alone.
 */
export async function withPending(db: PossyncDB, rows: LocalRecord[]): Promise<LocalRecord[]> {
  const keys = rows.filter((r) => r.data && COUNTERS.has(r.table_name)).map((r): Key => [r.table_name, r.record_id]);
  if (keys.length === 0) return rows;
  const [queued, sent] = await Promise.all([
    db.outbox.where('[table_name+record_id]').anyOf(keys as [string, string][]).toArray(),
    db.sentIncrements.where('[table_name+record_id]').anyOf(keys as [string, string][]).toArray(),
  ]);
  const versions = new Map(rows.map((r) => [keyOf([r.table_name, r.record_id]), r.sync_version]));
  const pending = new Map<string, Increments[]>();
  const add = (table: string, id: string, increments: Increments) => {
    const key = keyOf([table, id]);
    pending.set(key, [...(pending.get(key) ?? []), increments]);
  };
  for (const e of queued) if (e.increments && e.counted !== false) add(e.table_name, e.record_id, e.increments);
  for (const s of sent) {
    if (s.version > (versions.get(keyOf([s.table_name, s.record_id])) ?? 0)) add(s.table_name, s.record_id, s.increments);
  }
  if (pending.size === 0) return rows;
  return rows.map((row) => {
    const all = pending.get(keyOf([row.table_name, row.record_id]));
    return all && row.data ? { ...row, data: all.reduce(addIncrements, row.data) } : row;
  });
}

/**
 * A local write that sets a counter by value: the record's earlier increments no longer
 * show (queued ones are still pushed; the server applies them before the value set).
 */
export async function supersede(db: PossyncDB, table: string, id: string): Promise<void> {
  await db.outbox
    .where('[table_name+record_id]')
    .equals([table, id])
    .filter((e) => !!e.increments)
    .modify({ counted: false });
  await db.sentIncrements.where('[table_name+record_id]').equals([table, id]).delete();
}

/**
 * After a push: the increments the server took (and that still count) move to
 * `sentIncrements` with the version that holds them. Call inside the settling transaction,
 * before the batch leaves the outbox (a write since the push may have set the counter).
 */
export async function keepSent(db: PossyncDB, batch: OutboxEntry[], answer: PushResponse): Promise<void> {
  const versions = new Map((answer.versions ?? []).map((v) => [v.index, v.sync_version]));
  const refused = new Set(answer.errors.map((e) => e.index));
  const now = await db.outbox.bulkGet(batch.map((e) => e.seq!));
  const sent: SentIncrement[] = [];
  batch.forEach((entry, index) => {
    const version = versions.get(index);
    const live = now[index];
    if (!entry.increments || !entry.edit_id || version === undefined || refused.has(index)) return;
    if (!live || live.counted === false) return;
    sent.push({ edit_id: entry.edit_id, table_name: entry.table_name, record_id: entry.record_id, increments: entry.increments, version });
  });
  if (sent.length > 0) await db.sentIncrements.bulkPut(sent);
}

/** Drops the sent increments of these records that their local copies hold. */
export async function dropHeld(db: PossyncDB, keys: Key[]): Promise<void> {
  const counted = keys.filter(([table]) => COUNTERS.has(table)) as [string, string][];
  if (counted.length === 0) return;
  const sent = await db.sentIncrements.where('[table_name+record_id]').anyOf(counted).toArray();
  if (sent.length === 0) return;
  const copies = await copiesOf(db, sent.map((s): Key => [s.table_name, s.record_id]));
  const held = sent.filter((s, i) => s.version <= (copies[i]?.sync_version ?? 0)).map((s) => s.edit_id);
  if (held.length > 0) await db.sentIncrements.bulkDelete(held);
}

/**
 * The marker of this device's own change at `version` (`{"type":"own"}`). When it is the
 * sent increment at that version and the copy is the version before, the copy becomes that
 * version (copy + increments) and the increment is dropped. Otherwise nothing changes (as
 * for any own marker): with increments in flight the copy could not say what it holds.
 */
export async function ownVersion(db: PossyncDB, table: string, id: string, version: number): Promise<void> {
  if (!COUNTERS.has(table)) return;
  await db.transaction('rw', [...copyTables(db), db.sentIncrements], async () => {
    const [copy, sent] = await Promise.all([
      copyOf(db, [table, id]),
      db.sentIncrements.where('[table_name+record_id]').equals([table, id]).toArray(),
    ]);
    const mine = sent.find((s) => s.version === version);
    if (!copy?.data || !mine || copy.sync_version !== version - 1) return;
    await db.records.put({ ...copy, data: addIncrements(copy.data, mine.increments), sync_version: version });
    await db.sentIncrements.delete(mine.edit_id);
  });
}
