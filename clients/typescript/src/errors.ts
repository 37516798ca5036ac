/** The errors an app catches: a refusal, an unreachable server, a lost session, a conflict that moved on. */
import type { Conflict } from './types.js';

/** The server refused the request (4xx); the same request will not succeed. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
    /** The whole JSON body (some refusals carry more than the error, e.g. a new conflict). */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The server could not be reached, or kept failing (5xx, 429) after every retry. */
export class OfflineError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'OfflineError';
  }
}

/** There is no session, or the server refused its refresh token: the user must log in. */
export class LoggedOutError extends Error {
  constructor(message = 'logged out: log in again') {
    super(message);
    this.name = 'LoggedOutError';
  }
}

/** `accept_client` of a conflict whose record changed again since: settle the new conflict. */
export class ConflictMovedOnError extends Error {
  constructor(readonly conflict: Conflict) {
    super(`${conflict.table_name} ${conflict.record_id} changed again (sync_version ${conflict.sync_version}): settle the new conflict`);
    this.name = 'ConflictMovedOnError';
  }
}

/**
 * The device holds edits not pushed yet, of the user whose data it holds: they would be lost
 * by a wipe (`logout({ wipe: true })`), or given to another shop (a login of another client
 * or branch). Nothing was changed; push them first (log in as that user, online).
 */
export class PendingEditsError extends Error {
  constructor(readonly pending: number) {
    super(`${pending} edit(s) on this device are not pushed yet: push them first (online, as the user who made them)`);
    this.name = 'PendingEditsError';
  }
}

/** An error as it crosses the tabs' channel: a structured clone keeps no class. */
export interface SentError {
  name: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** `err` as the leader tab sends it to the tab that asked. */
export function sendable(err: unknown): SentError {
  const e = err instanceof Error ? err : new Error(String(err));
  const { name, message } = e;
  if (e instanceof HttpError) return { name, message, fields: { status: e.status, code: e.code, retryAfterMs: e.retryAfterMs, body: e.body } };
  if (e instanceof OfflineError) return { name, message, fields: { status: e.status, retryAfterMs: e.retryAfterMs } };
  if (e instanceof ConflictMovedOnError) return { name, message, fields: { conflict: e.conflict } };
  if (e instanceof PendingEditsError) return { name, message, fields: { pending: e.pending } };
  return { name, message };
}

/** The error the leader sent, of its class again (`instanceof` works in the tab that asked). */
export function revive({ name, message, fields = {} }: SentError): Error {
  const f = fields as { status: number; code: string; retryAfterMs?: number; body?: unknown; conflict: Conflict; pending: number };
  if (name === 'HttpError') return new HttpError(f.status, f.code, message, f.retryAfterMs, f.body);
  if (name === 'OfflineError') return new OfflineError(message, f.status, f.retryAfterMs);
  if (name === 'LoggedOutError') return new LoggedOutError(message);
  if (name === 'ConflictMovedOnError') return new ConflictMovedOnError(f.conflict);
  if (name === 'PendingEditsError') return new PendingEditsError(f.pending);
  const error = new Error(message);
  error.name = name;
  return error;
}
