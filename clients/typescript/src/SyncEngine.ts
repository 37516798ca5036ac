/**
 * The orchestrator: one engine per tab. The tab that holds the leadership (Web Locks, or an
 * IndexedDB lease) talks to the server — pushes the outbox in batches of ≤ 50, pulls from
 * the stored cursor, keeps the WebSocket — and the other tabs write locally, see every
 * change through a BroadcastChannel and forward their requests (sync, resolve, login) to it.
 */
import { META, openDatabase, type PossyncDB, type RecordData, type RejectedEntry, type StoredConflict } from './db.js';
import {
  HttpClient,
  HttpError,
  LoggedOutError,
  OfflineError,
  type AuthState,
  type Session,
  type SessionStore,
} from './HttpClient.js';
import { electLeader, type LeaderOptions, type Leadership } from './leader.js';
import { ownVersion, type Increments } from './counters.js';
import { LocalStore } from './LocalStore.js';
import { pullScope, tablesKey, type SyncProgress } from './pull.js';
import { keepConflict, SyncQueue, type QueuedEntry } from './SyncQueue.js';
import { syncedTables, type TableName } from './tables.js';
import type { Change, Conflict, PushResponse, Resolution, ResolveMovedOn, ResolveResponse, ServerMessage } from './types.js';
import { DEFAULT_RETRY, Emitter, Mutex, nav, randomId, type RetryPolicy } from './util.js';
import { WebSocketClient, type SocketState } from './WebSocketClient.js';

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

export interface SyncReport {
  pushed: number;
  conflicts: number;
  rejected: number;
  pulled: number;
}

export interface SyncEngineOptions {
  /** ingest, e.g. `https://pos.example.com`. */
  apiUrl: string;
  /** fanout, e.g. `wss://pos.example.com`; omit to sync without realtime. */
  wsUrl?: string;
  /** 1–64 of letters, digits, `_ - . :`; one per till. */
  deviceId: string;
  /** IndexedDB database name (default `possync-<deviceId>`). */
  dbName?: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  retry?: RetryPolicy;
  /** Changes per pull page near the server's head (default 500). */
  pullLimit?: number;
  /** Changes per pull page while catching up: a first sync, a resync, or after a full page (default 5,000). */
  catchUpLimit?: number;
  /**
   * Sync only these tables (default: all 31); an unknown name throws. When the set changes,
   * the next pull starts from scratch (the old cursor may be past changes of a new table).
   */
  tables?: readonly string[];
  /** Delay that gathers local writes into one push (default 50 ms). */
  pushDelayMs?: number;
  /** A full sync at least this often while leader (default 60 s; 0 = never). */
  periodicSyncMs?: number;
  /** WebSocket heartbeat (default 25 s). */
  heartbeatMs?: number;
  leader?: LeaderOptions;
  /** Ask the browser to keep the database (`navigator.storage.persist()`, default true). */
  persist?: boolean;
  /** Dexie options (e.g. `indexedDB`, `IDBKeyRange` outside browsers). */
  dexie?: ConstructorParameters<typeof PossyncDB>[1];
  random?: () => number;
}

type ChannelMessage =
  | { type: 'changed'; tables: string[]; local: boolean }
  | { type: 'status'; status: Partial<SyncStatus> }
  | { type: 'progress'; progress: SyncProgress }
  | { type: 'session' }
  | { type: 'rpc'; id: string; op: string; args: unknown[] }
  | { type: 'rpc-result'; id: string; ok: boolean; value?: unknown; error?: string; name?: string };

interface Events extends Record<string, unknown> {
  status: SyncStatus;
  /** Tables whose records changed (locally, from the server, or in another tab). */
  change: { tables: string[]; local: boolean };
  /** A catch-up's progress (also in follower tabs). */
  progress: SyncProgress;
}

const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

function sessionStore(db: PossyncDB): SessionStore {
  return {
    load: async () => ((await db.meta.get(META.session))?.value as Session | undefined) ?? null,
    save: async (session) => {
      if (session) await db.meta.put({ key: META.session, value: session });
      else await db.meta.delete(META.session);
    },
  };
}

export class SyncEngine extends Emitter<Events> {
  readonly db: PossyncDB;
  readonly store: LocalStore;
  readonly queue: SyncQueue;
  readonly http: HttpClient;
  readonly socket: WebSocketClient | null;
  private readonly channel: BroadcastChannel | null;
  private readonly exchange = new Mutex();
  private leadership: Leadership | null = null;
  private running = false;
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private syncDue = 0;
  private periodic: ReturnType<typeof setInterval> | null = null;
  private inFlight: Promise<SyncReport> | null = null;
  /** The run that starts after `inFlight`, shared by every `sync()` called meanwhile. */
  private followUp: Promise<SyncReport> | null = null;
  private lastSeq = new Map<number, number>();
  private reachable = true;
  private pending = new Map<string, { op: string; args: unknown[]; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private cleanups: Array<() => void> = [];
  private countsQueued = false;
  private readonly tables: TableName[] | undefined;
  private _progress: SyncProgress = { catchingUp: false, pulled: 0, firstSyncDone: false };
  private _status: SyncStatus = {
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

  constructor(private readonly options: SyncEngineOptions) {
    super();
    if (!DEVICE_ID.test(options.deviceId)) {
      throw new Error('possync: deviceId must be 1–64 letters, digits or _ - . :');
    }
    this.tables = syncedTables(options.tables);
    const name = options.dbName ?? `possync-${options.deviceId}`;
    this.db = openDatabase(name, (message) => this.update({ lastError: message }), options.dexie);
    this.store = new LocalStore(this.db, (tables, local) => this.changed(tables, local, true));
    this.queue = new SyncQueue(this.db, this.store, options.retry ?? DEFAULT_RETRY, options.random);
    this.http = new HttpClient({
      baseUrl: options.apiUrl,
      sessionStore: sessionStore(this.db),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
    this.channel = Channel ? new Channel(`possync:${name}`) : null;
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    this.socket =
      options.wsUrl && WS
        ? new WebSocketClient({
            url: options.wsUrl,
            deviceId: options.deviceId,
            getToken: () => this.http.accessToken(),
            tokenCheckIntervalMs: () => this.http.tokenCheckIntervalMs(),
            WebSocket: WS,
            ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
            ...(options.random ? { random: options.random } : {}),
          })
        : null;
  }

  /** Opens the database, joins the leader election and starts syncing when leader. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.db.open();
    if (this.options.persist ?? true) void nav()?.storage?.persist?.().catch(() => false);
    const lastSync = (await this.db.meta.get(META.lastSyncAt))?.value;
    await this.http.currentSession();
    this.update({ auth: this.http.authState, lastSyncAt: typeof lastSync === 'string' ? lastSync : null });
    this._progress = { ...this._progress, firstSyncDone: await this.store.useTables(tablesKey(this.tables)) };
    await this.refreshCounts();

    this.cleanups.push(
      this.http.on('auth', (auth) => {
        this.update({ auth });
        this.post({ type: 'session' });
        if (auth === 'logged_in' && this.isLeader()) {
          this.socket?.start();
          this.requestSync(0);
        }
        if (auth === 'logged_out') this.socket?.stop();
      }),
      this.http.on('reachable', (reachable) => {
        this.reachable = reachable;
        this.updateConnection();
      }),
    );
    if (this.socket) {
      this.socket.onMessage((message) => this.onSocketMessage(message));
      this.cleanups.push(
        this.socket.on('state', () => this.updateConnection()),
        this.socket.on('open', () => {
          // After every (re)connect: count scope numbers afresh and catch up from the cursor.
          this.lastSeq.clear();
          this.requestSync(0);
        }),
        this.socket.on('error', (err) => {
          if (err instanceof LoggedOutError) this.update({ lastError: err.message });
        }),
      );
    }
    if (this.channel) {
      const onMessage = (event: MessageEvent) => this.onChannel(event.data as ChannelMessage);
      this.channel.addEventListener('message', onMessage);
      this.cleanups.push(() => this.channel?.removeEventListener('message', onMessage));
    }
    const target = globalThis as unknown as Partial<EventTarget> & { document?: Document };
    if (typeof target.addEventListener === 'function') {
      const online = () => {
        this.queue.resetBackoff();
        this.updateConnection();
        if (this.isLeader()) {
          if (this.socket?.state === 'closed') this.socket.reconnect();
          this.requestSync(0);
        }
      };
      const offline = () => this.updateConnection();
      const visible = () => {
        if (target.document?.visibilityState === 'visible' && this.isLeader()) this.requestSync(0);
      };
      target.addEventListener('online', online);
      target.addEventListener('offline', offline);
      target.addEventListener('visibilitychange', visible);
      this.cleanups.push(() => {
        target.removeEventListener?.('online', online);
        target.removeEventListener?.('offline', offline);
        target.removeEventListener?.('visibilitychange', visible);
      });
    }
    this.leadership = electLeader(this.db.name, this.db, (leader) => this.onLeadership(leader), this.options.leader);
  }

  /** Stops syncing, leaves the election and closes the database. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.leadership?.stop();
    this.leadership = null;
    this.socket?.stop();
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.periodic) clearInterval(this.periodic);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.http.dispose();
    await this.inFlight?.catch(() => undefined);
    this.channel?.close();
    this.db.close();
  }

  get status(): SyncStatus {
    return this._status;
  }

  /** The last catch-up's progress, and whether the first full sync is done (see `progress` events). */
  get progress(): SyncProgress {
    return this._progress;
  }

  /** Calls `listener` now and on every status change; returns the unsubscribe function. */
  subscribe(listener: (status: SyncStatus) => void): () => void {
    listener(this._status);
    return this.on('status', listener);
  }

  isLeader(): boolean {
    return this.leadership?.isLeader() ?? false;
  }

  // ---- local data -------------------------------------------------------------------------

  put(table: string, id: string, data: RecordData, options?: { priority?: number }): Promise<void> {
    return this.store.put(table, id, data, options);
  }

  patch(table: string, id: string, fields: RecordData, options?: { priority?: number }): Promise<void> {
    return this.store.patch(table, id, fields, options);
  }

  delete(table: string, id: string, options?: { priority?: number }): Promise<void> {
    return this.store.delete(table, id, options);
  }

  /** Adds to counter fields (`{ quantity: -1 }`): shown at once, added up on the server. */
  increment(table: string, id: string, increments: Increments, options?: { priority?: number }): Promise<void> {
    return this.store.increment(table, id, increments, options);
  }

  /** Several writes in one IndexedDB transaction (e.g. an invoice and its items). */
  write<T>(fn: Parameters<LocalStore['write']>[0] & ((w: never) => Promise<T>)): Promise<T> {
    return this.store.write(fn as never) as Promise<T>;
  }

  get(table: string, id: string) {
    return this.store.get(table, id);
  }

  list(table: string, options?: { includeDeleted?: boolean }) {
    return this.store.list(table, options);
  }

  // ---- session ----------------------------------------------------------------------------

  async login(username: string, password: string): Promise<void> {
    if (!this.isLeader() && this.channel) {
      await this.callLeader('login', [username, password]);
      this.http.reloadSession();
      await this.http.currentSession();
      this.update({ auth: this.http.authState });
      return;
    }
    await this.http.login(username, password);
  }

  async logout(): Promise<void> {
    if (!this.isLeader() && this.channel) {
      await this.callLeader('logout', []);
      this.http.reloadSession();
      await this.http.currentSession();
      this.update({ auth: this.http.authState });
      return;
    }
    await this.http.logout();
  }

  // ---- sync -------------------------------------------------------------------------------

  /**
   * Pushes the queue, then pulls; in a follower tab the leader does it. The answer comes from a
   * push and pull that started after the call: while a run is under way, the caller waits for
   * the one after it (the running one may be past its pull already), or gets its error.
   */
  sync(): Promise<SyncReport> {
    if (!this.isLeader()) return this.callLeader('sync', []) as Promise<SyncReport>;
    if (this.inFlight) {
      // A failed run fails its follow-up too: the retry waits for its backoff.
      const settled = () => {
        this.followUp = null;
      };
      this.followUp ??= this.inFlight.finally(settled).then(() => {
        if (!this.running) throw new OfflineError('the sync engine was stopped');
        return this.sync();
      });
      return this.followUp;
    }
    const run = async (): Promise<SyncReport> => {
      const pushed = await this.push();
      const report: SyncReport = { ...pushed, pulled: await this.pull() };
      const at = new Date().toISOString();
      await this.db.meta.put({ key: META.lastSyncAt, value: at });
      this.update({ lastSyncAt: at, lastError: null });
      return report;
    };
    this.update({ syncing: true });
    this.inFlight = run()
      .catch((err: unknown) => {
        this.update({ lastError: err instanceof Error ? err.message : String(err) });
        throw err;
      })
      .finally(() => {
        this.inFlight = null;
        this.update({ syncing: false });
        void this.refreshCounts();
      });
    return this.inFlight;
  }

  /** Schedules a sync (gathering triggers that come close together). */
  requestSync(delayMs = this.options.pushDelayMs ?? 50): void {
    if (!this.running || !this.isLeader()) return;
    if (this._status.auth !== 'logged_in') return;
    const due = Date.now() + Math.max(delayMs, this.queue.waitMs());
    if (this.syncTimer && due >= this.syncDue) return;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncDue = due;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.sync().catch(() => undefined);
    }, due - Date.now());
  }

  /**
   * Pushes the outbox in batches of ≤ 50, in order. Per-record refusals leave the queue (kept
   * aside with their error), conflicts are stored; a network error, 5xx or 429 leaves the
   * batch queued and schedules a retry with backoff (or `Retry-After`).
   */
  push(): Promise<{ pushed: number; conflicts: number; rejected: number }> {
    return this.exchange.run(async () => {
      const total = { pushed: 0, conflicts: 0, rejected: 0 };
      let limit = 50;
      for (;;) {
        const batch: QueuedEntry[] = await this.queue.next(limit);
        if (batch.length === 0) break;
        let answer: PushResponse;
        try {
          answer = await this.http.request<PushResponse>('POST', '/api/sync/batch-push', {
            body: { device_id: this.options.deviceId, records: batch.map(SyncQueue.toPush) },
            queueWhenOffline: false,
            retry: { attempts: 2 },
          });
        } catch (err) {
          if (err instanceof OfflineError) {
            const wait = await this.queue.failed(batch, err.message, err.retryAfterMs);
            this.requestSync(wait);
            throw err;
          }
          if (err instanceof HttpError && [400, 413, 422].includes(err.status)) {
            // The batch as a whole was refused: narrow it down to the record at fault.
            if (batch.length > 1) {
              limit = Math.max(1, Math.floor(batch.length / 2));
              continue;
            }
            await this.queue.reject(batch, `${err.code}: ${err.message}`, err.status);
            total.rejected += 1;
            limit = 50;
            await this.refreshCounts();
            continue;
          }
          throw err;
        }
        const settled = await this.queue.settle(batch, answer);
        total.pushed += settled.synced;
        total.conflicts += settled.conflicts.length;
        total.rejected += settled.rejected.length;
        limit = 50;
        await this.refreshCounts();
      }
      return total;
    });
  }

  /**
   * Pulls every change from the stored cursor, one transaction per page with its cursor;
   * large pages while catching up (see `pull.ts`). A 410 `resync_required` drops the cursor
   * and pulls from scratch.
   */
  pull(): Promise<number> {
    const settings = {
      limit: this.options.pullLimit ?? 500,
      catchUpLimit: this.options.catchUpLimit ?? 5_000,
      tables: this.tables,
    };
    return this.exchange.run(() =>
      pullScope(this.http, this.store, settings, this._progress.firstSyncDone, (p) => this.reportProgress(p)),
    );
  }

  // ---- conflicts and refused edits --------------------------------------------------------

  conflicts(): Promise<StoredConflict[]> {
    return this.queue.conflicts();
  }

  rejected(): Promise<RejectedEntry[]> {
    return this.queue.rejected();
  }

  /**
   * Settles a stored conflict: `accept_client` writes the device's data (or `clientData`)
   * over the server version the conflict showed, `accept_server` keeps the server's. The
   * answer is applied locally and the conflict removed. When the record changed again since
   * the conflict was reported, nothing is written: the stored conflict is replaced by the
   * new one (the local copy follows the newer server version) and `ConflictMovedOnError` is
   * thrown, so the UI shows the conflict again.
   */
  async resolveConflict(table: string, id: string, resolution: Resolution, clientData?: RecordData): Promise<Change> {
    if (!this.isLeader() && this.channel) {
      return (await this.callLeader('resolve', [table, id, resolution, clientData])) as Change;
    }
    const conflict = await this.db.conflicts.get([table, id]);
    const data = clientData ?? conflict?.local_data ?? undefined;
    const body = {
      table_name: table,
      record_id: id,
      resolution,
      client_data: resolution === 'accept_client' ? data : undefined,
      sync_version: conflict?.sync_version,
      device_id: this.options.deviceId,
    };
    let answer: ResolveResponse;
    try {
      answer = await this.http.request<ResolveResponse>('POST', '/api/sync/resolve-conflict', { body });
    } catch (err) {
      const newer = movedOn(err);
      if (!newer) throw err;
      const stamp = new Date().toISOString();
      await this.db.transaction('rw', [this.db.records, this.db.outbox, this.db.conflicts, this.db.sentIncrements], () =>
        keepConflict(this.db, this.store, newer, stamp),
      );
      this.changed([table], false, true);
      await this.refreshCounts();
      throw new ConflictMovedOnError(newer);
    }
    await this.db.transaction('rw', [this.db.records, this.db.outbox, this.db.conflicts, this.db.sentIncrements], async () => {
      await this.store.apply(answer.record);
      await this.db.conflicts.delete([table, id]);
    });
    this.changed([table], false, true);
    await this.refreshCounts(); // the status no longer lists the conflict when this returns
    return answer.record;
  }

  /** Queues a refused edit again (optionally corrected). */
  async retryRejected(seq: number, data?: RecordData): Promise<void> {
    await this.queue.retryRejected(seq, data);
  }

  async discardRejected(seq: number): Promise<void> {
    await this.queue.discardRejected(seq);
  }

  // ---- internals --------------------------------------------------------------------------

  private onLeadership(leader: boolean): void {
    this.update({ leader });
    if (leader) {
      // Requests made before this tab won the election (no other leader answered them) run here.
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        this.perform(waiter.op, waiter.args).then(waiter.resolve, waiter.reject);
      }
      if (this._status.auth === 'logged_in') {
        this.socket?.start();
        this.requestSync(0);
      }
      const every = this.options.periodicSyncMs ?? 60_000;
      if (every > 0) this.periodic = setInterval(() => this.requestSync(0), every);
    } else {
      this.socket?.stop();
      if (this.periodic) clearInterval(this.periodic);
      this.periodic = null;
    }
  }

  private async onSocketMessage(message: ServerMessage): Promise<void> {
    switch (message.type) {
      case 'sync': {
        const missed = this.countSeq(message.branch_id, message.scope_seq);
        const synced = !this.tables || this.tables.includes(message.table_name as TableName);
        if (synced && message.source_device_id !== this.options.deviceId) {
          await this.store.applyChanges([
            {
              table_name: message.table_name,
              record_id: message.record_id,
              data: message.data,
              is_deleted: message.is_deleted,
              sync_version: message.sync_version,
              server_updated_at: message.server_updated_at,
            },
          ]);
        }
        if (missed) this.requestSync(0);
        return;
      }
      case 'own':
        // The device's own change: nothing to apply (unless it is a sent increment the copy
        // can take at once), but its number was not missed.
        await ownVersion(this.db, message.table_name, message.record_id, message.sync_version);
        if (this.countSeq(message.branch_id, message.scope_seq)) this.requestSync(0);
        return;
      case 'resync':
        this.requestSync(0);
        return;
      case 'error':
        this.update({ lastError: `${message.code}: ${message.message}` });
        return;
      default:
        return;
    }
  }

  /** Records `seq` in scope `branchId`; true when it is more than one above the last seen. */
  private countSeq(branchId: number, seq: number): boolean {
    const previous = this.lastSeq.get(branchId);
    this.lastSeq.set(branchId, Math.max(previous ?? 0, seq));
    return previous !== undefined && seq > previous + 1;
  }

  private updateConnection(): void {
    let connection: ConnectionState;
    if (!this.http.browserOnline) connection = 'offline';
    else if (this.socket && this.isLeader()) {
      const state: SocketState = this.socket.state;
      connection = state === 'open' ? 'online' : state === 'connecting' ? 'connecting' : 'offline';
    } else connection = this.reachable ? 'online' : 'offline';
    if (!this.isLeader() && this.socket) return; // followers show the leader's
    this.update({ connection });
  }

  /** Local effect of a commit: listeners, other tabs, and a push when it was a local edit. */
  private changed(tables: string[], local: boolean, broadcast: boolean): void {
    this.emit('change', { tables, local });
    if (broadcast) this.post({ type: 'changed', tables, local });
    if (local) this.requestSync();
    this.queueCounts();
  }

  private queueCounts(): void {
    if (this.countsQueued) return;
    this.countsQueued = true;
    setTimeout(() => {
      this.countsQueued = false;
      void this.refreshCounts();
    }, 0);
  }

  private async refreshCounts(): Promise<void> {
    if (!this.running) return;
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

  private update(patch: Partial<SyncStatus>): void {
    const next = { ...this._status, ...patch };
    const keys = Object.keys(patch) as (keyof SyncStatus)[];
    if (keys.every((k) => next[k] === this._status[k])) return;
    this._status = next;
    this.emit('status', next);
    if (this.isLeader()) {
      const { connection, auth, syncing, lastSyncAt, lastError } = next;
      this.post({ type: 'status', status: { connection, auth, syncing, lastSyncAt, lastError } });
    }
  }

  /** A catch-up's progress: the leader's own (`broadcast` to the other tabs) or one it sent. */
  private reportProgress(progress: SyncProgress, broadcast = true): void {
    this._progress = progress;
    this.emit('progress', progress);
    if (broadcast) this.post({ type: 'progress', progress });
  }

  private post(message: ChannelMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      /* closed */
    }
  }

  private callLeader(op: string, args: unknown[]): Promise<unknown> {
    if (!this.channel) return Promise.reject(new Error('possync: no leader tab to ask'));
    const id = randomId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OfflineError('no leader tab answered'));
      }, 60_000);
      this.pending.set(id, {
        op,
        args,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.post({ type: 'rpc', id, op, args });
    });
  }

  private onChannel(message: ChannelMessage): void {
    switch (message.type) {
      case 'changed':
        this.changed(message.tables, message.local, false);
        return;
      case 'status':
        if (!this.isLeader()) this.update(message.status);
        return;
      case 'progress':
        if (!this.isLeader()) this.reportProgress(message.progress, false);
        return;
      case 'session':
        this.http.reloadSession();
        void this.http.currentSession().then(() => {
          if (this.isLeader() && this.http.authState === 'logged_in') {
            this.socket?.start();
            this.requestSync(0);
          }
        });
        return;
      case 'rpc':
        if (this.isLeader()) void this.answer(message.id, message.op, message.args);
        return;
      case 'rpc-result': {
        const waiter = this.pending.get(message.id);
        if (!waiter) return;
        this.pending.delete(message.id);
        if (message.ok) waiter.resolve(message.value);
        else {
          const error = new Error(message.error);
          error.name = message.name ?? 'Error';
          waiter.reject(error);
        }
        return;
      }
    }
  }

  private async answer(id: string, op: string, args: unknown[]): Promise<void> {
    try {
      const value = await this.perform(op, args);
      this.post({ type: 'rpc-result', id, ok: true, value });
    } catch (err) {
      const e = err as Error;
      this.post({ type: 'rpc-result', id, ok: false, error: e?.message ?? String(err), name: e?.name });
    }
  }

  /** A request another tab (or this one, before it led) asked of the leader. */
  private async perform(op: string, args: unknown[]): Promise<unknown> {
    if (op === 'sync') return this.sync();
    if (op === 'login') return void (await this.http.login(args[0] as string, args[1] as string));
    if (op === 'logout') return this.http.logout();
    if (op === 'resolve')
      return this.resolveConflict(args[0] as string, args[1] as string, args[2] as Resolution, args[3] as RecordData);
    throw new Error(`unknown request ${op}`);
  }
}

/** `accept_client` of a conflict whose record changed again since: settle the new conflict. */
export class ConflictMovedOnError extends Error {
  constructor(readonly conflict: Conflict) {
    super(`${conflict.table_name} ${conflict.record_id} changed again (sync_version ${conflict.sync_version}): settle the new conflict`);
    this.name = 'ConflictMovedOnError';
  }
}

function movedOn(err: unknown): Conflict | undefined {
  if (!(err instanceof HttpError) || err.status !== 409) return undefined;
  return (err.body as ResolveMovedOn | undefined)?.conflict;
}
