/**
 * Wire types, REST and WebSocket, come from the server's OpenAPI document (`openapi.json`,
 * turned into `generated/openapi.ts` by `npm run gen:types`): that document is their one
 * source of truth (the socket messages are schemas of it, from `wire/src/socket.rs`).
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
export type ChecksumsResponse = Schemas['ChecksumsResponse'];
export type LoginRequest = Schemas['LoginRequest'];
export type RefreshRequest = Schemas['RefreshRequest'];
export type TokenResponse = Schemas['TokenResponse'];
export type UserInfo = Schemas['UserInfo'];
export type ErrorBody = Schemas['ErrorBody'];

/** Most records one push may carry (the server answers 400 above it). */
export const MAX_PUSH_RECORDS = 50;

/** Server → device messages (`{"type": ...}`), as `wire/src/socket.rs` defines them. */
export type ServerMessage = Schemas['ServerMessage'];
/** Device → server messages. */
export type ClientMessage = Schemas['ClientMessage'];
/** One committed change as fanout relays it (`{"type":"sync",...}`). */
export type SyncEvent = Extract<ServerMessage, { type: 'sync' }>;
/**
 * A change this device made itself (`{"type":"own",...}`): its place in the stream without
 * its data. Counts in its scope like any event, so the device's own pushes are no gap.
 */
export type OwnMarker = Extract<ServerMessage, { type: 'own' }>;
