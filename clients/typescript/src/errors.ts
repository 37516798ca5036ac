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
