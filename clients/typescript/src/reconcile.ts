/**
 * Surviving a server that lost changes (restored from a backup, or a replica promoted after
 * its primary died): it refuses the till's cursor with a 410 (a new epoch), and the till
 * reconciles. Mirrors `clients/rust/src/store/reconcile.rs`.
 *
 * - Every edit the server acknowledged stays in `acknowledged` for {@link REPLAY_WINDOW_MS};
 *   a reconcile queues them again, so the server gets back the ones it lost. The ones it
 *   kept are recognised as retries (by device, time and content, or by `edit_id`) and
 *   change nothing; one that another device's later edit overtook comes back as a conflict.
 * - The resync that follows replaces the copy: every record as the server has it, whatever
 *   its version (versions start over), and the records it no longer holds dropped: those
 *   held when the reconcile began (`unseen`) that no page brought (`seen`), unless an edit
 *   of theirs is queued. Both survive a reload: the resync resumes, still replacing.
 */
import { copyTables, dropCopies, heldIds } from './copies.js';
import { keyOf, META, type AcknowledgedEdit, type Key, type OutboxEntry, type PossyncDB } from './db.js';

/**
 * How long acknowledged edits are kept to push again: a restore from a backup up to this old
 * gets them all back. Shorter than the server's memory of retries (7 days by device, 30 by
 * `edit_id`), so a replay of an edit it kept is always recognised.
 */
export const REPLAY_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;

/** The stores of a reconcile, for transactions that settle pushes or store pages. */
export const reconcileTables = (db: PossyncDB) => [db.acknowledged, db.unseen, db.seen];

/** What a reconcile began with. */
export interface Reconcile {
  /** Acknowledged edits queued again. */
  requeued: number;
  /** Records the resync is to see again or drop. */
  held: number;
}

/**
 * Keeps the edits of a pushed batch that the server took (not `refused`, by index) and
 * forgets those older than the window. Inside the settling transaction.
 */
export async function keepAcknowledged(db: PossyncDB, batch: OutboxEntry[], refused: ReadonlySet<number>, now: number): Promise<void> {
  const taken = batch.filter((_, index) => !refused.has(index));
  const kept = taken.map(({ seq: _s, attempts: _a, last_error: _e, counted: _c, ...edit }): AcknowledgedEdit => ({ ...edit, acknowledged_at: now }));
  if (kept.length > 0) await db.acknowledged.bulkAdd(kept);
  await db.acknowledged.where('acknowledged_at').below(now - REPLAY_WINDOW_MS).delete();
}

/**
 * Begins a reconcile, atomically: queues the acknowledged edits of the window again (oldest
 * first), forgets the cursor and the sent increments' versions (the server's numbers start
 * over), and notes every record held of `tables` (undefined: all) for the replacing resync.
 */
export async function beginReconcile(db: PossyncDB, tables: readonly string[] | undefined, now: number): Promise<Reconcile> {
  return db.transaction('rw', [...copyTables(db), db.outbox, db.sentIncrements, ...reconcileTables(db)], async () => {
    const inWindow = (await db.acknowledged.toArray()).filter((e) => e.acknowledged_at >= now - REPLAY_WINDOW_MS);
    await db.outbox.bulkAdd(inWindow.map(({ seq: _s, acknowledged_at: _a, ...edit }): OutboxEntry => ({ ...edit, attempts: 0 })));
    await Promise.all([db.acknowledged.clear(), db.sentIncrements.clear(), db.unseen.clear(), db.seen.clear()]);
    const held = [...(await heldIds(db))].filter(([table]) => !tables || tables.includes(table));
    await db.unseen.bulkAdd(held.map(([table_name, ids]) => ({ table_name, ids: [...ids] })));
    await db.meta.delete(META.cursor);
    await db.meta.put({ key: META.replacing, value: true });
    return { requeued: inWindow.length, held: held.reduce((sum, [, ids]) => sum + ids.size, 0) };
  });
}

/** Whether a resync is replacing the copy. Inside a transaction over `meta`. */
export async function replacing(db: PossyncDB): Promise<boolean> {
  return (await db.meta.get(META.replacing))?.value === true;
}

/** Notes the records of a replacing resync's page as seen. Inside the page's transaction. */
export async function markSeen(db: PossyncDB, changes: { table_name: string; record_id: string }[]): Promise<void> {
  if (changes.length > 0) await db.seen.add({ keys: changes.map((c) => keyOf([c.table_name, c.record_id])) });
}

/**
 * Ends a replacing resync at the server's head: drops the records held when it began that
 * it never saw (but those with an edit queued). Returns the tables it dropped from. Inside
 * the last page's transaction.
 */
export async function finishReplacing(db: PossyncDB): Promise<string[]> {
  const seen = new Set<string>();
  await db.seen.each((page) => page.keys.forEach((key) => seen.add(key)));
  const queued = new Set(((await db.outbox.orderBy('[table_name+record_id]').keys()) as unknown as Key[]).map(keyOf));
  const gone: Key[] = [];
  for (const { table_name, ids } of await db.unseen.toArray()) {
    for (const id of ids) if (!seen.has(keyOf([table_name, id])) && !queued.has(keyOf([table_name, id]))) gone.push([table_name, id]);
  }
  await dropCopies(db, gone);
  await Promise.all([db.unseen.clear(), db.seen.clear(), db.meta.delete(META.replacing)]);
  return [...new Set(gone.map(([table]) => table))];
}
