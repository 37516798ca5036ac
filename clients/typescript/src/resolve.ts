/**
 * Settling a stored conflict with the server (the leader does it): `accept_client` writes the
 * device's data over the server version the conflict showed, `accept_server` keeps the
 * server's; the answer is applied locally and the conflict removed. When the record changed
 * again since, the new conflict replaces the stored one and `ConflictMovedOnError` is thrown.
 */
import { copyTables } from './copies.js';
import type { RecordData } from './db.js';
import { ConflictMovedOnError, HttpError } from './errors.js';
import type { HttpClient } from './HttpClient.js';
import type { LocalStore } from './LocalStore.js';
import { keepConflict } from './SyncQueue.js';
import type { Change, Conflict, Resolution, ResolveMovedOn, ResolveResponse } from './types.js';

export interface ResolveParts {
  http: HttpClient;
  store: LocalStore;
  deviceId: string;
  /** The record's table changed locally (listeners, other tabs, the status's counts). */
  changed(table: string): Promise<void>;
}

export async function resolveConflict(
  parts: ResolveParts,
  table: string,
  id: string,
  resolution: Resolution,
  clientData?: RecordData,
): Promise<Change> {
  const { http, store, deviceId } = parts;
  const { db } = store;
  const conflict = await db.conflicts.get([table, id]);
  const data = clientData ?? conflict?.local_data ?? undefined;
  const body = {
    table_name: table,
    record_id: id,
    resolution,
    client_data: resolution === 'accept_client' ? data : undefined,
    sync_version: conflict?.sync_version,
    device_id: deviceId,
  };
  let answer: ResolveResponse;
  try {
    answer = await http.request<ResolveResponse>('POST', '/api/sync/resolve-conflict', { body });
  } catch (err) {
    const newer = movedOn(err);
    if (!newer) throw err;
    const stamp = new Date().toISOString();
    await db.transaction('rw', [...copyTables(db), db.outbox, db.conflicts, db.sentIncrements], () =>
      keepConflict(db, store, newer, stamp),
    );
    await parts.changed(table);
    throw new ConflictMovedOnError(newer);
  }
  await db.transaction('rw', [...copyTables(db), db.outbox, db.conflicts, db.sentIncrements], async () => {
    await store.apply(answer.record);
    await db.conflicts.delete([table, id]);
  });
  await parts.changed(table); // the status no longer lists the conflict when this returns
  return answer.record;
}

/** The newer conflict a 409 carries when the record changed again since the one shown. */
function movedOn(err: unknown): Conflict | undefined {
  if (!(err instanceof HttpError) || err.status !== 409) return undefined;
  return (err.body as ResolveMovedOn | undefined)?.conflict;
}
