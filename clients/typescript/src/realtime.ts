/**
 * Realtime: the leader's socket to fanout. Other devices' changes are applied as they come;
 * each scope's numbers (`scope_seq`) are counted, and a gap, a (re)connect or a `resync`
 * asks for a pull from the cursor.
 */
import { ownVersion } from './counters.js';
import { LoggedOutError } from './errors.js';
import type { HttpClient } from './HttpClient.js';
import type { LocalStore } from './LocalStore.js';
import type { TableName } from './tables.js';
import type { ServerMessage } from './types.js';
import { WebSocketClient } from './WebSocketClient.js';
import type { SyncEngineOptions } from './engineOptions.js';
import type { StatusBoard } from './StatusBoard.js';

/** The socket to fanout, when the options name one and there is a WebSocket. */
export function openSocket(options: SyncEngineOptions, http: HttpClient): WebSocketClient | null {
  const WS = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (!options.wsUrl || !WS) return null;
  return new WebSocketClient({
    url: options.wsUrl,
    deviceId: options.deviceId,
    getToken: () => http.accessToken(),
    tokenCheckIntervalMs: () => http.tokenCheckIntervalMs(),
    WebSocket: WS,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
}

export interface RealtimeParts {
  socket: WebSocketClient;
  store: LocalStore;
  deviceId: string;
  /** The synced tables (`undefined`: all of them); changes of others are not applied. */
  tables: readonly TableName[] | undefined;
  status: StatusBoard;
  requestSync(delayMs: number): void;
}

/**
 * Takes the socket's messages and events (applied one at a time, in order); returns what
 * stops listening to the events.
 */
export function followSocket(parts: RealtimeParts): Array<() => void> {
  const { socket, store, deviceId, tables, status, requestSync } = parts;
  /** The highest number seen in each scope (branch) since the socket opened. */
  const lastSeq = new Map<number, number>();
  /** Records `seq` in scope `branchId`; true when it is more than one above the last seen. */
  const countSeq = (branchId: number, seq: number): boolean => {
    const previous = lastSeq.get(branchId);
    lastSeq.set(branchId, Math.max(previous ?? 0, seq));
    return previous !== undefined && seq > previous + 1;
  };

  socket.onMessage(async (message: ServerMessage) => {
    switch (message.type) {
      case 'sync': {
        const missed = countSeq(message.branch_id, message.scope_seq);
        const synced = !tables || tables.includes(message.table_name as TableName);
        if (synced && message.source_device_id !== deviceId) {
          await store.applyChanges([
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
        if (missed) requestSync(0);
        return;
      }
      case 'own':
        // The device's own change: nothing to apply (unless it is a sent increment the copy
        // can take at once), but its number was not missed.
        await ownVersion(store.db, message.table_name, message.record_id, message.sync_version);
        if (countSeq(message.branch_id, message.scope_seq)) requestSync(0);
        return;
      case 'resync':
        requestSync(0);
        return;
      case 'error':
        status.update({ lastError: `${message.code}: ${message.message}` });
        return;
      default:
        return;
    }
  });
  return [
    socket.on('state', () => status.updateConnection()),
    socket.on('open', () => {
      // After every (re)connect: count scope numbers afresh and catch up from the cursor.
      lastSeq.clear();
      requestSync(0);
    }),
    socket.on('error', (err) => {
      if (err instanceof LoggedOutError) status.update({ lastError: err.message });
    }),
  ];
}
