/**
 * The public surface of `@possync/client`: what an app uses (the engine, its options, events,
 * status and progress, the errors it throws, the HTTP client, the tables and record types).
 * The parts inside the engine are in `@possync/client/internals` (`internals.ts`).
 */
export { SyncEngine } from './SyncEngine.js';
export type { SyncEngineOptions } from './engineOptions.js';
export type { ConnectionState, SyncEvents, SyncStatus } from './StatusBoard.js';
export type { SyncProgress } from './pull.js';
export type { SyncReport } from './SyncLoop.js';
export type { Verified } from './verify.js';
export type { PushReport } from './push.js';
export type { LeaderOptions } from './leader.js';
export type { RetryPolicy } from './util.js';

export { ConflictMovedOnError, HttpError, LoggedOutError, OfflineError, PendingEditsError } from './errors.js';

export { FastifyClient, HttpClient } from './HttpClient.js';
export type { AuthState, HttpClientOptions, RequestOptions } from './HttpClient.js';
export type { Session, SessionStore } from './session.js';

export { TABLES } from './tables.js';
export { SyncTable } from './SyncTable.js';
export type { CounterField, TableData, TableRecord } from './SyncTable.js';
export { Query, Where } from './query.js';
export { DEFAULT_INDEXES, fold } from './indexes.js';
export type { IndexKind, IndexSpec } from './indexes.js';
export { InvalidRecordError, RULES } from './rules.js';
export type { TableName } from './tables.js';
export { COUNTERS } from './counters.js';
export type { Increments } from './counters.js';
export type { LocalRecord, RecordData, RejectedEntry, StoredConflict } from './db.js';
export type { WriteOptions, Writer } from './LocalStore.js';
export type { Change, Conflict, Resolution, UserInfo } from './types.js';
