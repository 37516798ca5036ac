/**
 * Pushing the outbox: batches of ≤ 50, in order. Per-record refusals leave the queue (kept
 * aside with their error), conflicts are stored; a batch refused as a whole is halved until
 * the record at fault is found; a network error, 5xx or 429 leaves the batch queued for a
 * retry after its backoff (or `Retry-After`).
 */
import { HttpError, OfflineError } from './errors.js';
import type { HttpClient } from './HttpClient.js';
import { SyncQueue, type QueuedEntry } from './SyncQueue.js';
import { MAX_PUSH_RECORDS, type PushResponse } from './types.js';

export interface PushReport {
  pushed: number;
  conflicts: number;
  rejected: number;
}

export interface PushHooks {
  /** The server could not take a batch: sync again in `delayMs`. */
  retryIn(delayMs: number): void;
  /** A batch was settled (the queue's counts changed). */
  settled(): Promise<void>;
}

export async function pushOutbox(http: HttpClient, queue: SyncQueue, deviceId: string, hooks: PushHooks): Promise<PushReport> {
  const total = { pushed: 0, conflicts: 0, rejected: 0 };
  let limit = MAX_PUSH_RECORDS;
  for (;;) {
    const batch: QueuedEntry[] = await queue.next(limit);
    if (batch.length === 0) break;
    let answer: PushResponse;
    try {
      answer = await http.request<PushResponse>('POST', '/api/sync/batch-push', {
        body: { device_id: deviceId, records: batch.map(SyncQueue.toPush) },
        queueWhenOffline: false,
        retry: { attempts: 2 },
      });
    } catch (err) {
      if (err instanceof OfflineError) {
        hooks.retryIn(await queue.failed(batch, err.message, err.retryAfterMs));
        throw err;
      }
      if (err instanceof HttpError && [400, 413, 422].includes(err.status)) {
        // The batch as a whole was refused: narrow it down to the record at fault.
        if (batch.length > 1) {
          limit = Math.max(1, Math.floor(batch.length / 2));
          continue;
        }
        await queue.reject(batch, `${err.code}: ${err.message}`, err.status);
        total.rejected += 1;
        limit = MAX_PUSH_RECORDS;
        await hooks.settled();
        continue;
      }
      throw err;
    }
    const settled = await queue.settle(batch, answer);
    total.pushed += settled.synced;
    total.conflicts += settled.conflicts.length;
    total.rejected += settled.rejected.length;
    limit = MAX_PUSH_RECORDS;
    await hooks.settled();
  }
  return total;
}
