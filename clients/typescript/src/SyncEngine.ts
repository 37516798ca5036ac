/**
 * The engine an app uses, one per tab: local reads and writes, login, sync, conflicts and
 * status. The tab that leads (`Tabs.ts`) talks to the server — pushes and pulls
 * (`SyncLoop.ts`), keeps the socket (`realtime.ts`) — and the other tabs write locally, hear
 * every change and forward their calls to it; `StatusBoard.ts` keeps what the UI shows. This
 * file builds those parts and wires them to each other and to the page.
 */
import { liveQuery, type Observable } from 'dexie';
import { indexCopies } from './copies.js';
import type { Increments } from './counters.js';
import { META, openDatabase, type PossyncDB, type RecordData, type RejectedEntry, type StoredConflict } from './db.js';
import { checkDeviceId, databaseName, httpClientOptions, type SyncEngineOptions } from './engineOptions.js';
import { PendingEditsError } from './errors.js';
import { takeOver, wipeData } from './handover.js';
import { HttpClient } from './HttpClient.js';
import { Indexes } from './indexes.js';
import { LocalStore } from './LocalStore.js';
import { listenToPage } from './pageEvents.js';
import { tablesKey, type SyncProgress } from './pull.js';
import type { PushReport } from './push.js';
import { followSocket, openSocket } from './realtime.js';
import { resolveConflict } from './resolve.js';
import { databaseSessionStore } from './session.js';
import { StatusBoard, type SyncEvents, type SyncStatus } from './StatusBoard.js';
import { SyncLoop, type SyncReport } from './SyncLoop.js';
import { SyncQueue } from './SyncQueue.js';
import { SyncTable } from './SyncTable.js';
import { syncedTables, TABLES, type TableName } from './tables.js';
import { Tabs } from './Tabs.js';
import type { Change, Resolution } from './types.js';
import type { Verified } from './verify.js';
import { DEFAULT_RETRY, Emitter, nav } from './util.js';
import type { WebSocketClient } from './WebSocketClient.js';

export class SyncEngine extends Emitter<SyncEvents> {
  readonly db: PossyncDB;
  readonly store: LocalStore;
  readonly queue: SyncQueue;
  readonly http: HttpClient;
  readonly socket: WebSocketClient | null;
  private readonly tables: TableName[] | undefined;
  private readonly tabs: Tabs;
  private readonly board: StatusBoard;
  private readonly loop: SyncLoop;
  private running = false;
  private readonly typedTables = new Map<string, SyncTable<TableName>>();
  private cleanups: Array<() => void> = [];

  constructor(private readonly options: SyncEngineOptions) {
    super();
    checkDeviceId(options.deviceId);
    this.tables = syncedTables(options.tables);
    const name = databaseName(options);
    const indexes = new Indexes(options.indexes);
    this.db = openDatabase(name, (message) => this.board.update({ lastError: message }), options.dexie, indexes);
    this.store = new LocalStore(this.db, (tables, local) => this.changed(tables, local, true));
    this.queue = new SyncQueue(this.db, this.store, options.retry ?? DEFAULT_RETRY, options.random);
    this.http = new HttpClient(httpClientOptions(options, databaseSessionStore(this.db)));
    this.socket = openSocket(options, this.http);
    this.tabs = new Tabs(name, this.db, options.leader, {
      onLeadership: (leader) => this.onLeadership(leader),
      onChanged: (tables, local) => this.changed(tables, local, false),
      onLeaderStatus: (status) => this.board.update(status),
      onLeaderProgress: (progress) => this.board.reportProgress(progress, false),
      onSession: () => this.onSession(),
      perform: (op, args) => this.perform(op, args),
    });
    this.board = new StatusBoard(this.queue, this.http, this.socket, {
      emit: (event, value) => this.emit(event, value),
      isLeader: () => this.isLeader(),
      running: () => this.running,
      shareStatus: (status) => this.tabs.shareStatus(status),
      shareProgress: (progress) => this.tabs.shareProgress(progress),
    });
    const { db, http, store, queue, tables, tabs, board: status } = this;
    this.loop = new SyncLoop({ db, http, store, queue, status, tabs, options, tables, running: () => this.running });
  }

  /** Opens the database, joins the leader election and starts syncing when leader. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.db.open();
    await indexCopies(this.db);
    this.http.listen();
    if (this.options.persist ?? true) void nav()?.storage?.persist?.().catch(() => false);
    const lastSync = (await this.db.meta.get(META.lastSyncAt))?.value;
    await this.http.currentSession();
    this.board.update({ auth: this.http.authState, lastSyncAt: typeof lastSync === 'string' ? lastSync : null });
    this.board.restoreFirstSyncDone(await this.store.useTables(tablesKey(this.tables)));
    await this.board.refreshCounts();
    this.cleanups.push(...this.listen());
    this.tabs.join();
  }

  /** Stops syncing, leaves the election and closes the database. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.tabs.leave();
    this.socket?.stop();
    this.loop.stop();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.http.dispose();
    await this.loop.finished();
    this.tabs.close();
    this.db.close();
  }

  get status(): SyncStatus {
    return this.board.status;
  }

  /** The last catch-up's progress, and whether the first full sync is done (see `progress` events). */
  get progress(): SyncProgress {
    return this.board.progress;
  }

  /** Calls `listener` now and on every status change; returns the unsubscribe function. */
  subscribe(listener: (status: SyncStatus) => void): () => void {
    listener(this.board.status);
    return this.on('status', listener);
  }

  isLeader(): boolean {
    return this.tabs.isLeader();
  }

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

  /** A synced table as a typed local table: checked writes, reads by id and by index. */
  table<T extends TableName>(name: T): SyncTable<T> {
    if (!(TABLES as readonly string[]).includes(name)) throw new Error(`possync: no synced table ${JSON.stringify(name)}`);
    let table = this.typedTables.get(name);
    if (!table) this.typedTables.set(name, (table = new SyncTable(this.store, name)));
    return table as SyncTable<T>;
  }

  /**
   * Watches a query (Dexie's `liveQuery`): `querier` runs again whenever a write touches
   * what it read — here, in another tab, or from the server — and its result includes
   * pending counter increments. Subscribe to get each result.
   */
  live<T>(querier: () => T | Promise<T>): Observable<T> {
    return liveQuery(querier);
  }

  list(table: string, options?: { includeDeleted?: boolean }) {
    return this.store.list(table, options);
  }

  /**
   * Logs in from this tab, leader or not: the password never crosses the BroadcastChannel.
   * The session is kept in IndexedDB; the other tabs (the leader too) are told to read it.
   */
  async login(username: string, password: string): Promise<void> {
    // A user of another client or branch: the device's data is wiped before the session is
    // kept (refused, with a PendingEditsError, while the previous user's edits are queued).
    await this.http.login(username, password, async (user) => {
      if (await takeOver(this.db, user)) this.afterWipe();
    });
    this.tabs.shareSession();
  }

  /**
   * Logs out. With `wipe`, the device's data goes too (a till handed to someone else): the
   * queue is pushed first, and while edits remain queued (offline) nothing is done and a
   * `PendingEditsError` says how many.
   */
  async logout(options: { wipe?: boolean } = {}): Promise<void> {
    if (!this.isLeader() && this.tabs.connected) return this.forwardSessionCall('logout', [options]);
    if (options.wipe && (await this.db.outbox.count()) > 0) {
      this.queue.resetBackoff(); // the user is waiting: try now, not after the last failure's backoff
      // A run failing as we ask fails our call too; the next run is ours.
      await this.sync()
        .catch(() => this.sync())
        .catch(() => undefined);
      const pending = await this.db.outbox.count();
      if (pending > 0) throw new PendingEditsError(pending);
    }
    await this.http.logout(); // the socket closes: no event lands after the wipe
    if (options.wipe) {
      await this.loop.finished();
      await wipeData(this.db);
      this.afterWipe();
    }
  }

  /** After a wipe: every table changed, and the first sync is to do again. */
  private afterWipe(): void {
    this.board.reportProgress({ catchingUp: false, pulled: 0, firstSyncDone: false });
    this.store.committed([...TABLES], false);
  }

  /**
   * Pushes the queue, then pulls; in a follower tab the leader does it. The answer comes from a
   * push and pull that started after the call: while a run is under way, the caller waits for
   * the one after it (the running one may be past its pull already), or gets its error.
   */
  sync(): Promise<SyncReport> {
    return this.loop.sync();
  }

  /**
   * Pulls to the server's head, compares the till's copy with the server's checksums, and
   * replaces each table that differs by the server's copy (`verify.ts`); in a follower tab
   * the leader does it. Not compared while edits wait to be pushed.
   */
  verify(): Promise<Verified> {
    if (!this.isLeader() && this.tabs.connected) return this.tabs.callLeader('verify', []) as Promise<Verified>;
    return this.loop.verify();
  }

  /** Schedules a sync (gathering triggers that come close together). */
  requestSync(delayMs?: number): void {
    this.loop.requestSync(delayMs);
  }

  /** Pushes the outbox (see `push.ts`). */
  push(): Promise<PushReport> {
    return this.loop.push();
  }

  /** Pulls every change from the stored cursor, in pages, large ones while catching up (see `pull.ts`). */
  pull(): Promise<number> {
    return this.loop.pull();
  }

  conflicts(): Promise<StoredConflict[]> {
    return this.queue.conflicts();
  }

  rejected(): Promise<RejectedEntry[]> {
    return this.queue.rejected();
  }

  /**
   * Settles a stored conflict (see `resolve.ts`): `accept_client` writes the device's
   * data (or `clientData`), `accept_server` keeps the server's. When the record changed again
   * since the conflict was reported, nothing is written: the stored conflict is replaced by
   * the new one and `ConflictMovedOnError` is thrown, so the UI shows the conflict again.
   */
  async resolveConflict(table: string, id: string, resolution: Resolution, clientData?: RecordData): Promise<Change> {
    if (!this.isLeader() && this.tabs.connected) {
      return (await this.tabs.callLeader('resolve', [table, id, resolution, clientData])) as Change;
    }
    const changed = async (table: string) => {
      this.changed([table], false, true);
      await this.board.refreshCounts();
    };
    return resolveConflict({ http: this.http, store: this.store, deviceId: this.options.deviceId, changed }, table, id, resolution, clientData);
  }

  /** Queues a refused edit again (optionally corrected). */
  async retryRejected(seq: number, data?: RecordData): Promise<void> {
    await this.queue.retryRejected(seq, data);
  }

  async discardRejected(seq: number): Promise<void> {
    await this.queue.discardRejected(seq);
  }

  /** Listens to the session, the socket and the page; returns what stops listening. */
  private listen(): Array<() => void> {
    const { socket, store, tables, board: status } = this;
    const requestSync = (delayMs: number) => this.requestSync(delayMs);
    return [
      this.http.on('auth', (auth) => {
        this.board.update({ auth });
        this.tabs.shareSession();
        if (auth === 'logged_in' && this.isLeader()) this.goOnline();
        if (auth === 'logged_out') this.socket?.stop();
      }),
      this.http.on('reachable', (reachable) => this.board.reachableChanged(reachable)),
      ...(socket ? followSocket({ socket, store, deviceId: this.options.deviceId, tables, status, requestSync }) : []),
      listenToPage({
        online: () => {
          this.queue.resetBackoff();
          this.board.updateConnection();
          if (!this.isLeader()) return;
          if (this.socket?.state === 'closed') this.socket.reconnect();
          this.requestSync(0);
        },
        offline: () => this.board.updateConnection(),
        visible: () => {
          if (this.isLeader()) this.requestSync(0);
        },
      }),
    ];
  }

  private onLeadership(leader: boolean): void {
    this.board.update({ leader });
    if (leader) {
      this.tabs.performWaiting();
      if (this.board.status.auth === 'logged_in') this.goOnline();
    } else this.socket?.stop();
    this.loop.lead(leader);
  }

  /** Another tab logged in or out: read the session again; a leader now logged in syncs. */
  private onSession(): void {
    this.http.reloadSession();
    void this.http.currentSession().then(() => {
      if (this.isLeader() && this.http.authState === 'logged_in') this.goOnline();
    });
  }

  /** The leader, logged in: opens the socket and syncs. */
  private goOnline(): void {
    this.socket?.start();
    this.requestSync(0);
  }

  /** A follower's logout, done by the leader; the session is then read from the database. */
  private async forwardSessionCall(op: 'logout', args: unknown[]): Promise<void> {
    await this.tabs.callLeader(op, args);
    this.http.reloadSession();
    await this.http.currentSession();
    this.board.update({ auth: this.http.authState });
  }

  /** Local effect of a commit: listeners, other tabs, and a push when it was a local edit. */
  private changed(tables: string[], local: boolean, broadcast: boolean): void {
    this.emit('change', { tables, local });
    if (broadcast) this.tabs.shareChange(tables, local);
    if (local) this.requestSync();
    this.board.queueCounts();
  }

  /** A call another tab (or this one, before it led) asked of the leader. */
  private async perform(op: string, args: unknown[]): Promise<unknown> {
    if (op === 'sync') return this.sync();
    if (op === 'verify') return this.verify();
    if (op === 'logout') return this.logout(args[0] as { wipe?: boolean });
    if (op === 'resolve')
      return this.resolveConflict(args[0] as string, args[1] as string, args[2] as Resolution, args[3] as RecordData);
    throw new Error(`unknown request ${op}`);
  }
}
