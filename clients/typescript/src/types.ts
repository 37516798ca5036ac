/**
 * Wire types. REST types come from the server's OpenAPI document (`openapi.json`, turned into
 * `generated/openapi.ts` by `npm run gen:types`): that document is their one source of truth.
 * The WebSocket messages are not part of the OpenAPI document; they mirror
 * `shared/src/wire/socket.rs` and `docs/websocket.md`.
 */
import type { components } from './generated/openapi.js';

type Schemas = components['schemas'];

export type PushRequest = Schemas['PushRequest'];
export type PushRecord = Schemas['PushRecord'];
export type PushResponse = Schemas['PushResponse'];
export type Conflict = Schemas['Conflict'];
export type RecordError = Schemas['RecordError'];
export type PullResponse = Schemas['PullResponse'];
export type Change = Schemas['Change'];
export type Resolution = Schemas['Resolution'];
export type ResolveRequest = Schemas['ResolveRequest'];
export type ResolveResponse = Schemas['ResolveResponse'];
export type ResolveMovedOn = Schemas['ResolveMovedOn'];
export type StatsResponse = Schemas['StatsResponse'];
export type LoginRequest = Schemas['LoginRequest'];
export type RefreshRequest = Schemas['RefreshRequest'];
export type TokenResponse = Schemas['TokenResponse'];
export type UserInfo = Schemas['UserInfo'];
export type ErrorBody = Schemas['ErrorBody'];

/** Most records one push may carry (the server answers 400 above it). */
export const MAX_PUSH_RECORDS = 50;

/** One committed change as fanout relays it (`{"type":"sync",...}`). */
export interface SyncEvent {
  type: 'sync';
  room: string;
  table_name: string;
  record_id: string;
  operation: 'create' | 'update' | 'delete';
  data: Record<string, unknown> | null;
  is_deleted: boolean;
  sync_version: number;
  server_updated_at: string;
  client_id: number;
  /** The record's branch, or 0 for tables shared by every branch of the client. */
  branch_id: number;
  position: number;
  /** Number of this event in its scope (`branch_id`), without holes. */
  scope_seq: number;
  source_device_id: string | null;
}

/**
 * A change this device made itself (`{"type":"own",...}`): its place in the stream without
 * its data. Counts in its scope like any event, so the device's own pushes are no gap.
 */
export interface OwnMarker {
  type: 'own';
  room: string;
  table_name: string;
  record_id: string;
  sync_version: number;
  branch_id: number;
  position: number;
  scope_seq: number;
}

export type ServerMessage =
  | { type: 'pong' }
  | SyncEvent
  | OwnMarker
  | { type: 'subscribed'; room: string }
  | { type: 'unsubscribed'; room: string }
  | { type: 'authenticated'; expires_at: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'resync'; reason: string };

export type ClientMessage =
  | { type: 'ping' }
  | { type: 'subscribe'; room: string }
  | { type: 'unsubscribe'; room: string }
  | { type: 'auth'; token: string };
