/**
 * When and how the leader syncs: a sync pushes the outbox, then pulls; one runs at a time (a
 * caller during a run gets the run after it); triggers that come close together are gathered
 * into one, a backoff is waited out, and a full sync runs periodically while this tab leads;
 * every `verifyEveryMs` a sync also verifies the copy against the server's checksums.
 */
import { META, type PossyncDB } from './db.js';
import { OfflineError } from './errors.js';
import type { HttpClient } from './HttpClient.js';
import type { LocalStore } from './LocalStore.js';
import { pullScope, type SyncProgress } from './pull.js';
import { pushOutbox, type PushReport } from './push.js';
import type { SyncQueue } from './SyncQueue.js';
import type { TableName } from './tables.js';
import { Mutex } from './util.js';
import { verifyScope, type Verified } from './verify.js';
import type { SyncEngineOptions } from './engineOptions.js';
import type { StatusBoard } from './StatusBoard.js';
import type { Tabs } from './Tabs.js';

export interface SyncReport extends PushReport {
  pulled: number;
}

export interface LoopParts {
  db: PossyncDB;
  http: HttpClient;
  store: LocalStore;
  queue: SyncQueue;
  status: StatusBoard;
  tabs: Pick<Tabs, 'isLeader' | 'callLeader'>;
  options: SyncEngineOptions;
  tables: TableName[] | undefined;
  running(): boolean;
}

export class SyncLoop {
  /** Pushes and pulls, one at a time. */
  private readonly exchange = new Mutex();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private due = 0;
  private periodic: ReturnType<typeof setInterval> | null = null;
  private inFlight: Promise<SyncReport> | null = null;
  /** The run that starts after `inFlight`, shared by every `sync()` called meanwhile. */
  private followUp: Promise<SyncReport> | null = null;
  /** When the copy was last verified (or the loop made): `verifyEveryMs` counts from it. */
  private verifiedAt = Date.now();

  constructor(private readonly parts: LoopParts) {}

  /** Pushes the queue, then pulls; in a follower tab the leader does it (see `SyncEngine.sync`). */
  sync(): Promise<SyncReport> {
    const { tabs, db, status } = this.parts;
    if (!tabs.isLeader()) return tabs.callLeader('sync', []) as Promise<SyncReport>;
    if (this.inFlight) {
      // A failed run fails its follow-up too: the retry waits for its backoff.
      const settled = () => {
        this.followUp = null;
      };
      this.followUp ??= this.inFlight.finally(settled).then(() => {
        if (!this.parts.running()) throw new OfflineError('the sync engine was stopped');
        return this.sync();
      });
      return this.followUp;
    }
    const run = async (): Promise<SyncReport> => {
      const pushed = await this.push();
      const report: SyncReport = { ...pushed, pulled: await this.pull() };
      if (this.verificationDue()) {
        // The sync itself succeeded: a verification that could not run waits for the next one.
        await this.verify().catch(() => undefined);
      }
      const at = new Date().toISOString();
      await db.meta.put({ key: META.lastSyncAt, value: at });
      status.update({ lastSyncAt: at, lastError: null });
      return report;
    };
    status.update({ syncing: true });
    this.inFlight = run()
      .catch((err: unknown) => {
        status.update({ lastError: err instanceof Error ? err.message : String(err) });
        throw err;
      })
      .finally(() => {
        this.inFlight = null;
        status.update({ syncing: false });
        void status.refreshCounts();
      });
    return this.inFlight;
  }

  /** Schedules a sync (gathering triggers that come close together). */
  requestSync(delayMs = this.parts.options.pushDelayMs ?? 50): void {
    const { tabs, status, queue } = this.parts;
    if (!this.parts.running() || !tabs.isLeader()) return;
    if (status.status.auth !== 'logged_in') return;
    const due = Date.now() + Math.max(delayMs, queue.waitMs());
    if (this.timer && due >= this.due) return;
    if (this.timer) clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sync().catch(() => undefined);
    }, due - Date.now());
  }

  push(): Promise<PushReport> {
    return this.exchange.run(() => this.pushQueued());
  }

  /** Pushes the outbox; the caller holds the exchange. */
  private pushQueued(): Promise<PushReport> {
    const { http, queue, options, status } = this.parts;
    return pushOutbox(http, queue, options.deviceId, {
      retryIn: (delayMs) => this.requestSync(delayMs),
      settled: () => status.refreshCounts(),
    });
  }

  pull(): Promise<number> {
    return this.exchange.run(() => this.pullToHead());
  }

  /**
   * Pulls to the server's head, compares the copy's checksums with the server's and replaces
   * the tables that differ (`verify.ts`); takes its turn with pushes and pulls.
   */
  verify(): Promise<Verified> {
    const { http, store, options, tables } = this.parts;
    this.verifiedAt = Date.now();
    const parts = { http, store, tables, catchUpLimit: this.catchUpLimit(), pull: () => this.pullToHead() };
    return this.exchange.run(() => verifyScope(parts));
  }

  /** Whether a sync verifies too: `verifyEveryMs` (default 10 min) after the last one or the start. */
  private verificationDue(): boolean {
    const every = this.parts.options.verifyEveryMs ?? 600_000;
    return every > 0 && Date.now() - this.verifiedAt >= every;
  }

  private catchUpLimit(): number {
    return this.parts.options.catchUpLimit ?? 5_000;
  }

  /** A pull from the stored cursor to the head; the caller holds the exchange. */
  private pullToHead(): Promise<number> {
    const { http, store, options, tables, status } = this.parts;
    const settings = { limit: options.pullLimit ?? 500, catchUpLimit: this.catchUpLimit(), tables };
    const report = (p: SyncProgress) => status.reportProgress(p);
    return pullScope(http, store, settings, status.progress.firstSyncDone, report, () => this.pushQueued());
  }

  /** While this tab leads, a full sync at least every `periodicSyncMs` (default 60 s). */
  lead(leader: boolean): void {
    if (leader) {
      const every = this.parts.options.periodicSyncMs ?? 60_000;
      if (every > 0) this.periodic = setInterval(() => this.requestSync(0), every);
    } else {
      if (this.periodic) clearInterval(this.periodic);
      this.periodic = null;
    }
  }

  /** Cancels the scheduled syncs (the one under way goes on: see `finished`). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.periodic) clearInterval(this.periodic);
  }

  /** Resolves once the sync under way, if any, has ended. */
  async finished(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }
}
