/**
 * What the UI shows: the status (connection, auth, leader, syncing, the queue's counts, last
 * sync and error) and the catch-up's progress, each announced as an event when it changes.
 */
import type { RejectedEntry, StoredConflict } from './db.js';
import type { AuthState, HttpClient } from './HttpClient.js';
import type { SyncProgress } from './pull.js';
import type { SyncQueue } from './SyncQueue.js';
import type { WebSocketClient } from './WebSocketClient.js';

export type ConnectionState = 'online' | 'offline' | 'connecting';

/** What the UI shows; `subscribe` tells it every change. */
export interface SyncStatus {
  connection: ConnectionState;
  auth: AuthState;
  /** This tab is the one that syncs. */
  leader: boolean;
  syncing: boolean;
  /** Local edits waiting to be pushed. */
  pending: number;
  /** Edits the server refused, out of the queue, with their error. */
  rejected: RejectedEntry[];
  /** Conflicts waiting for the user (`resolveConflict`). */
  conflicts: StoredConflict[];
  lastSyncAt: string | null;
  lastError: string | null;
}

/** The engine's events (`engine.on(name, listener)`). */
export interface SyncEvents extends Record<string, unknown> {
  status: SyncStatus;
  /** Tables whose records changed (locally, from the server, or in another tab). */
  change: { tables: string[]; local: boolean };
  /** A catch-up's progress (also in follower tabs). */
  progress: SyncProgress;
}

/** What the status needs of the engine around it. */
export interface StatusHooks {
  emit<K extends keyof SyncEvents>(event: K, value: SyncEvents[K]): void;
  isLeader(): boolean;
  running(): boolean;
  /** Tells the other tabs (the leader's status; they show its connection). */
  shareStatus(status: SyncStatus): void;
  shareProgress(progress: SyncProgress): void;
}

export class StatusBoard {
  private current: SyncStatus = {
    connection: 'offline',
    auth: 'logged_out',
    leader: false,
    syncing: false,
    pending: 0,
    rejected: [],
    conflicts: [],
    lastSyncAt: null,
    lastError: null,
  };
  private currentProgress: SyncProgress = { catchingUp: false, pulled: 0, firstSyncDone: false };
  /** Whether the HTTP client's last call reached the server (the connection without a socket). */
  private reachable = true;
  private countsQueued = false;

  constructor(
    private readonly queue: SyncQueue,
    private readonly http: HttpClient,
    private readonly socket: WebSocketClient | null,
    private readonly hooks: StatusHooks,
  ) {}

  get status(): SyncStatus {
    return this.current;
  }

  get progress(): SyncProgress {
    return this.currentProgress;
  }

  update(patch: Partial<SyncStatus>): void {
    const next = { ...this.current, ...patch };
    const keys = Object.keys(patch) as (keyof SyncStatus)[];
    if (keys.every((k) => next[k] === this.current[k])) return;
    this.current = next;
    this.hooks.emit('status', next);
    this.hooks.shareStatus(next);
  }

  /** Whether the first full sync is done, as the database keeps it (read at start, no event). */
  restoreFirstSyncDone(firstSyncDone: boolean): void {
    this.currentProgress = { ...this.currentProgress, firstSyncDone };
  }

  /** A catch-up's progress: the leader's own (`broadcast` to the other tabs) or one it sent. */
  reportProgress(progress: SyncProgress, broadcast = true): void {
    this.currentProgress = progress;
    this.hooks.emit('progress', progress);
    if (broadcast) this.hooks.shareProgress(progress);
  }

  reachableChanged(reachable: boolean): void {
    this.reachable = reachable;
    this.updateConnection();
  }

  /** The leader's connection is its socket's (or, without one, its last call's); followers show the leader's. */
  updateConnection(): void {
    let connection: ConnectionState;
    if (!this.http.browserOnline) connection = 'offline';
    else if (this.socket && this.hooks.isLeader()) {
      const state = this.socket.state;
      connection = state === 'open' ? 'online' : state === 'connecting' ? 'connecting' : 'offline';
    } else connection = this.reachable ? 'online' : 'offline';
    if (!this.hooks.isLeader() && this.socket) return; // followers show the leader's
    this.update({ connection });
  }

  /** Counts the queue once the current task is done (many commits in a row count once). */
  queueCounts(): void {
    if (this.countsQueued) return;
    this.countsQueued = true;
    setTimeout(() => {
      this.countsQueued = false;
      void this.refreshCounts();
    }, 0);
  }

  async refreshCounts(): Promise<void> {
    if (!this.hooks.running()) return;
    try {
      const [pending, rejected, conflicts] = await Promise.all([
        this.queue.count(),
        this.queue.rejected(),
        this.queue.conflicts(),
      ]);
      this.update({ pending, rejected, conflicts });
    } catch (err) {
      this.update({ lastError: `local database: ${String(err)}` });
    }
  }
}
