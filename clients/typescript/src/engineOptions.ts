/** What a `SyncEngine` is built with, and the checks and defaults that go with it. */
import type { PossyncDB } from './db.js';
import type { HttpClientOptions } from './HttpClient.js';
import type { IndexSpec } from './indexes.js';
import type { LeaderOptions } from './leader.js';
import type { SessionStore } from './session.js';
import type { RetryPolicy } from './util.js';

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
  /**
   * A sync also verifies the copy against the server's checksums (`engine.verify()`) when
   * this long has passed since the engine started or last verified (default 10 min; 0 =
   * only when the app calls it). A verification reads every local copy once.
   */
  verifyEveryMs?: number;
  /** WebSocket heartbeat (default 25 s). */
  heartbeatMs?: number;
  leader?: LeaderOptions;
  /** Ask the browser to keep the database (`navigator.storage.persist()`, default true). */
  persist?: boolean;
  /**
   * More local indexes, added to `DEFAULT_INDEXES` (e.g. `{ products: { brand: 'exact' } }`):
   * `engine.table(t).where(field)` needs one. A changed set re-indexes the copies at start.
   */
  indexes?: IndexSpec;
  /** Dexie options (e.g. `indexedDB`, `IDBKeyRange` outside browsers). */
  dexie?: ConstructorParameters<typeof PossyncDB>[1];
  random?: () => number;
}

const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Throws unless the device id is one the server takes. */
export function checkDeviceId(deviceId: string): void {
  if (!DEVICE_ID.test(deviceId)) {
    throw new Error('possync: deviceId must be 1–64 letters, digits or _ - . :');
  }
}

/** The IndexedDB database of the till (also names its tabs' channel and lock). */
export const databaseName = (options: SyncEngineOptions): string => options.dbName ?? `possync-${options.deviceId}`;

/** The engine's HTTP client: its server, fetch, retries and randomness, with the till's session. */
export function httpClientOptions(options: SyncEngineOptions, sessionStore: SessionStore): HttpClientOptions {
  return {
    baseUrl: options.apiUrl,
    sessionStore,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.random ? { random: options.random } : {}),
  };
}
