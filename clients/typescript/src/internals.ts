/**
 * `@possync/client/internals`: the parts inside the engine and the wire types, for tests and
 * tools that need them; they change with the engine, in any release.
 */
export { LocalStore } from './LocalStore.js';
export type { ServerChange } from './LocalStore.js';
export { SyncQueue } from './SyncQueue.js';
export type { QueuedEntry, SettleReport } from './SyncQueue.js';
export { PossyncDB, openDatabase } from './db.js';
export type { OutboxEntry, SentIncrement } from './db.js';
export { WebSocketClient } from './WebSocketClient.js';
export type { SocketState, WebSocketClientOptions } from './WebSocketClient.js';
export { electLeader } from './leader.js';
export type { Leadership } from './leader.js';
export { memorySessionStore } from './session.js';
export { DEFAULT_RETRY, backoffCeiling, backoffDelay, parseRetryAfter } from './util.js';
export { MAX_PUSH_RECORDS } from './types.js';
export type {
  ClientMessage,
  ErrorBody,
  LoginRequest,
  OwnMarker,
  PullResponse,
  PushRecord,
  PushRequest,
  PushResponse,
  RecordError,
  RefreshRequest,
  ResolveMovedOn,
  ResolveRequest,
  ResolveResponse,
  ServerMessage,
  StatsResponse,
  SyncEvent,
  TokenResponse,
} from './types.js';
