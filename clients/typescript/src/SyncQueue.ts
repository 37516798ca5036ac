/**
 * The durable queue of pending operations (the IndexedDB outbox): read in push order
 * (priority, then the order edits were made), settled from a push answer in one
 * transaction, with per-record refusals set aside and a retry schedule for everything else.
 */
import { copyOf, copyTables } from './copies.js';
import { dropHeld, isDataEdit, keepSent } from './counters.js';
import type { LocalRecord, OutboxEntry, PossyncDB, RecordData, RejectedEntry, StoredConflict } from './db.js';
import type { LocalStore } from './LocalStore.js';
import { keepAcknowledged } from './reconcile.js';
import { type Conflict, MAX_PUSH_RECORDS, type PushRecord, type PushResponse } from './types.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './util.js';

export type QueuedEntry = OutboxEntry & { seq: number };

export interface SettleReport {
  synced: number;
  conflicts: StoredConflict[];
  rejected: RejectedEntry[];
}

/**
 * Stores a conflict for the UI; the local copy follows the server's version (a later pull
 * would not bring it again) until the user resolves otherwise. Call inside a transaction
 * over `records`, `outbox`, `sentIncrements` and `conflicts`.
 */
export async function keepConflict(db: PossyncDB, store: LocalStore, conflict: Conflict, stamp: string): Promise<StoredConflict> {
  const stored: StoredConflict = {
    table_name: conflict.table_name,
    record_id: conflict.record_id,
    local_data: (conflict.local_data ?? null) as StoredConflict['local_data'],
    server_data: (conflict.server_data ?? null) as StoredConflict['server_data'],
    local_updated_at: conflict.local_updated_at,
    server_updated_at: conflict.server_updated_at,
    sync_version: conflict.sync_version,
    server_is_deleted: conflict.server_is_deleted,
    detected_at: stamp,
  };
  await db.conflicts.put(stored);
  await store.apply({
    table_name: conflict.table_name,
    record_id: conflict.record_id,
    data: conflict.server_data,
    is_deleted: conflict.server_is_deleted,
    sync_version: conflict.sync_version,
    server_updated_at: conflict.server_updated_at,
  });
  return stored;
}

export class SyncQueue {
  /** Failed push rounds in a row (network, 5xx, 429): drives the backoff. */
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly db: PossyncDB,
    private readonly store: LocalStore,
    readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** The next batch in push order, at most 50. */
  async next(limit = MAX_PUSH_RECORDS): Promise<QueuedEntry[]> {
    const size = Math.min(Math.max(1, limit), MAX_PUSH_RECORDS);
    return (await this.db.outbox.orderBy('[rank+seq]').limit(size).toArray()) as QueuedEntry[];
  }

  count(): Promise<number> {
    return this.db.outbox.count();
  }

  rejected(): Promise<RejectedEntry[]> {
    return this.db.rejected.orderBy('seq').toArray();
  }

  conflicts(): Promise<StoredConflict[]> {
    return this.db.conflicts.orderBy('detected_at').toArray();
  }

  /** The wire form of a queued edit (an increments-only edit has `data: null`). */
  static toPush(entry: OutboxEntry): PushRecord {
    const record: PushRecord = {
      table_name: entry.table_name,
      record_id: entry.record_id,
      data: (entry.increments ? null : (entry.data ?? {})) as PushRecord['data'],
      local_updated_at: entry.local_updated_at,
      is_deleted: entry.is_deleted,
    };
    if (entry.base_version !== undefined) record.base_version = entry.base_version;
    if (entry.increments) {
      record.increments = entry.increments;
      record.edit_id = entry.edit_id ?? null;
    }
    return record;
  }

  /**
   * Settles a pushed batch in one transaction: every entry leaves the outbox; entries the
   * answer lists in `errors` go to `rejected` with their message (and their record is rolled
   * back to the server state it was based on); conflicts are stored for the UI and the local
   * copy follows the server's version until the user decides. Increments the server took
   * move to `sentIncrements` with the version that holds them (see `counters.ts`), and every
   * edit it took is kept in `acknowledged`, to push again if it loses them (`reconcile.ts`).
   */
  async settle(batch: OutboxEntry[], answer: PushResponse): Promise<SettleReport> {
    const { db } = this;
    const report: SettleReport = { synced: answer.synced_count, conflicts: [], rejected: [] };
    const touched = new Set<string>();
    const stamp = new Date(this.now()).toISOString();
    await db.transaction('rw', [...copyTables(db), db.outbox, db.rejected, db.conflicts, db.sentIncrements, db.acknowledged], async () => {
      const refused = new Map<number, string>();
      for (const error of answer.errors) refused.set(error.index, error.message);
      for (const [index, entry] of batch.entries()) {
        const message = refused.get(index);
        if (message !== undefined) {
          const rejected: RejectedEntry = { ...entry, seq: entry.seq!, error: message, status: 422, rejected_at: stamp };
          await db.rejected.put(rejected);
          report.rejected.push(rejected);
          if (!isDataEdit(entry)) touched.add(entry.table_name); // no longer shown
        }
      }
      await keepSent(db, batch, answer);
      await keepAcknowledged(db, batch, new Set(refused.keys()), this.now());
      await db.outbox.bulkDelete(batch.map((e) => e.seq!));
      // Records whose queued edits are all settled: drop their base, or roll a refused
      // edit back to the server state it was made on.
      const keys = new Map<string, [string, string]>();
      for (const e of batch) keys.set(`${e.table_name}\u0000${e.record_id}`, [e.table_name, e.record_id]);
      const refusedKeys = new Set(report.rejected.filter(isDataEdit).map((r) => `${r.table_name}\u0000${r.record_id}`));
      for (const [k, key] of keys) {
        if ((await db.outbox.where('[table_name+record_id]').equals(key).filter(isDataEdit).count()) > 0) continue;
        const record = await copyOf(db, key);
        if (!record) continue;
        if (refusedKeys.has(k) && record.base) {
          await db.records.put({ ...record, ...record.base, base: null });
          touched.add(record.table_name);
        } else if (record.base !== undefined) {
          const { base: _drop, ...rest } = record;
          await db.records.put(rest as LocalRecord);
        }
      }
      for (const conflict of answer.conflicts) {
        report.conflicts.push(await keepConflict(db, this.store, conflict, stamp));
        touched.add(conflict.table_name);
      }
      await dropHeld(db, [...keys.values()]);
    });
    this.failures = 0;
    this.retryAt = 0;
    this.store.committed([...touched], false);
    return report;
  }

  /** Sets entries aside as refused as a whole (e.g. a single record too large: 413). */
  async reject(batch: OutboxEntry[], message: string, status?: number): Promise<void> {
    const { db } = this;
    const stamp = new Date(this.now()).toISOString();
    await db.transaction('rw', db.outbox, db.rejected, async () => {
      for (const entry of batch) {
        const rejected: RejectedEntry = { ...entry, seq: entry.seq!, error: message, rejected_at: stamp };
        if (status !== undefined) rejected.status = status;
        await db.rejected.put(rejected);
      }
      await db.outbox.bulkDelete(batch.map((e) => e.seq!));
    });
  }

  /**
   * Records a failed push round that the records are not to blame for (offline, 5xx, 429):
   * the batch stays queued and the next round waits `Retry-After` when the server said so,
   * otherwise an exponential backoff with jitter. Returns the wait in milliseconds.
   */
  async failed(batch: OutboxEntry[], error: string, retryAfterMs?: number): Promise<number> {
    this.failures += 1;
    const delay = retryAfterMs ?? backoffDelay(this.failures, this.retry, this.random);
    this.retryAt = this.now() + delay;
    const { db } = this;
    await db.transaction('rw', db.outbox, async () => {
      for (const entry of batch) {
        await db.outbox.update(entry.seq!, { attempts: (entry.attempts ?? 0) + 1, last_error: error });
      }
    });
    return delay;
  }

  /** Milliseconds until the next push may run (0: now). */
  waitMs(): number {
    return Math.max(0, this.retryAt - this.now());
  }

  /** Forgets the backoff (the device just came back online). */
  resetBackoff(): void {
    this.failures = 0;
    this.retryAt = 0;
  }

  /**
   * Puts a refused edit back in the queue, optionally with corrected data, as a new edit: in
   * one transaction with its removal from the refused ones, so a crash keeps one or the other.
   */
  async retryRejected(seq: number, data?: OutboxEntry['data']): Promise<void> {
    const { db } = this;
    await db.transaction('rw', [...copyTables(db), db.outbox, db.sentIncrements, db.rejected], async () => {
      const entry = await db.rejected.get(seq);
      if (!entry) return;
      const { table_name: table, record_id: id } = entry;
      const options = { priority: entry.priority };
      await this.store.write(async (w) => {
        // Increments again as a new edit (it throws, keeping the entry, if the record is gone).
        if (entry.increments) await w.increment(table, id, entry.increments, options);
        else if (entry.is_deleted) await w.delete(table, id, options);
        else await w.put(table, id, (data ?? entry.data ?? {}) as RecordData, options);
      });
      await db.rejected.delete(seq);
    });
  }

  /**
   * Forgets a refused edit. A record the server never took (made on this device, its only
   * edits refused) goes with it: nothing else would ever remove it.
   */
  async discardRejected(seq: number): Promise<void> {
    const { db } = this;
    const tables: string[] = [];
    await db.transaction('rw', [...copyTables(db), db.outbox, db.rejected], async () => {
      const entry = await db.rejected.get(seq);
      if (!entry) return;
      await db.rejected.delete(seq);
      tables.push(entry.table_name);
      const key: [string, string] = [entry.table_name, entry.record_id];
      const record = await db.records.get(key);
      if (!record || record.sync_version > 0 || record.base) return;
      const [queued, refused] = await Promise.all([
        db.outbox.where('[table_name+record_id]').equals(key).count(),
        db.rejected.where('[table_name+record_id]').equals(key).count(),
      ]);
      if (queued === 0 && refused === 0) await db.records.delete(key);
    });
    this.store.committed(tables, false);
  }
}
