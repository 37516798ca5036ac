/**
 * The tabs of one till: one leads (talks to the server), chosen by `leader.ts`; they talk over
 * a BroadcastChannel (committed changes, the leader's status and progress, a new session), and
 * a follower's calls that need the server are forwarded to the leader and answered there.
 */
import type { PossyncDB } from './db.js';
import { OfflineError, revive, sendable, type SentError } from './errors.js';
import { electLeader, type LeaderOptions, type Leadership } from './leader.js';
import type { SyncProgress } from './pull.js';
import { randomId } from './util.js';
import type { SyncStatus } from './StatusBoard.js';

/** The calls a follower forwards to the leader. */
export type LeaderCall = 'sync' | 'verify' | 'logout' | 'resolve';

type TabMessage =
  | { type: 'changed'; tables: string[]; local: boolean }
  | { type: 'status'; status: Partial<SyncStatus> }
  | { type: 'progress'; progress: SyncProgress }
  | { type: 'session' }
  | { type: 'rpc'; id: string; op: string; args: unknown[] }
  | { type: 'rpc-result'; id: string; ok: boolean; value?: unknown; error?: SentError };

/** What the tabs tell the engine. */
export interface TabHandlers {
  /** This tab won or lost the leadership. */
  onLeadership(leader: boolean): void;
  /** Another tab committed a change. */
  onChanged(tables: string[], local: boolean): void;
  /** The leader's status (heard by followers only). */
  onLeaderStatus(status: Partial<SyncStatus>): void;
  /** The leader's catch-up progress (heard by followers only). */
  onLeaderProgress(progress: SyncProgress): void;
  /** Another tab logged in or out. */
  onSession(): void;
  /** Runs a call as the leader: forwarded by another tab, or made here before this tab led. */
  perform(op: string, args: unknown[]): Promise<unknown>;
}

interface Waiter {
  op: string;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class Tabs {
  private channel: BroadcastChannel | null;
  private leadership: Leadership | null = null;
  /** Calls forwarded to the leader, waiting for its answer. */
  private readonly waiting = new Map<string, Waiter>();
  private readonly listener = (event: MessageEvent) => this.receive(event.data as TabMessage);

  constructor(
    private readonly name: string,
    private readonly db: PossyncDB,
    private readonly options: LeaderOptions | undefined,
    private readonly handlers: TabHandlers,
  ) {
    this.channel = openChannel(name);
  }

  /** Whether other tabs can be reached (the browser has BroadcastChannel). */
  get connected(): boolean {
    return this.channel !== null;
  }

  isLeader(): boolean {
    return this.leadership?.isLeader() ?? false;
  }

  /** Listens to the other tabs and joins the election. */
  join(): void {
    this.channel ??= openChannel(this.name); // closed by an earlier `close`
    this.channel?.addEventListener('message', this.listener);
    this.leadership = electLeader(this.name, this.db, (leader) => this.handlers.onLeadership(leader), this.options);
  }

  /** Leaves the election (a leader hears `onLeadership(false)`) and stops listening. */
  leave(): void {
    this.leadership?.stop();
    this.leadership = null;
    this.channel?.removeEventListener('message', this.listener);
  }

  /** Closes the channel (after `leave`, once the last sync has told the others its changes). */
  close(): void {
    this.channel?.close();
    this.channel = null;
  }

  shareChange(tables: string[], local: boolean): void {
    this.post({ type: 'changed', tables, local });
  }

  /** The leader's connection, auth, syncing, last sync and error (each tab counts its own queue). */
  shareStatus(status: SyncStatus): void {
    if (!this.isLeader()) return;
    const { connection, auth, syncing, lastSyncAt, lastError } = status;
    this.post({ type: 'status', status: { connection, auth, syncing, lastSyncAt, lastError } });
  }

  shareProgress(progress: SyncProgress): void {
    this.post({ type: 'progress', progress });
  }

  shareSession(): void {
    this.post({ type: 'session' });
  }

  /** Asks the leader to run `op`; fails after 60 s without an answer. */
  callLeader(op: LeaderCall, args: unknown[]): Promise<unknown> {
    if (!this.channel) return Promise.reject(new Error('possync: no leader tab to ask'));
    const id = randomId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new OfflineError('no leader tab answered'));
      }, 60_000);
      this.waiting.set(id, {
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

  /** Runs here the calls made before this tab won the election (no leader answered them). */
  performWaiting(): void {
    for (const [id, waiter] of this.waiting) {
      this.waiting.delete(id);
      this.handlers.perform(waiter.op, waiter.args).then(waiter.resolve, waiter.reject);
    }
  }

  private post(message: TabMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      /* closed */
    }
  }

  private receive(message: TabMessage): void {
    switch (message.type) {
      case 'changed':
        this.handlers.onChanged(message.tables, message.local);
        return;
      case 'status':
        if (!this.isLeader()) this.handlers.onLeaderStatus(message.status);
        return;
      case 'progress':
        if (!this.isLeader()) this.handlers.onLeaderProgress(message.progress);
        return;
      case 'session':
        this.handlers.onSession();
        return;
      case 'rpc':
        if (this.isLeader()) void this.answer(message.id, message.op, message.args);
        return;
      case 'rpc-result':
        this.settle(message);
        return;
    }
  }

  private settle(message: Extract<TabMessage, { type: 'rpc-result' }>): void {
    const waiter = this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(revive(message.error ?? { name: 'Error', message: 'the leader tab failed' }));
  }

  private async answer(id: string, op: string, args: unknown[]): Promise<void> {
    try {
      const value = await this.handlers.perform(op, args);
      this.post({ type: 'rpc-result', id, ok: true, value });
    } catch (err) {
      this.post({ type: 'rpc-result', id, ok: false, error: sendable(err) });
    }
  }
}

/** The tabs' channel of database `name`, where the browser has BroadcastChannel. */
function openChannel(name: string): BroadcastChannel | null {
  const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
  return Channel ? new Channel(`possync:${name}`) : null;
}
