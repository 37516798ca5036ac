/** Errors keep their class and fields when the leader tab sends them to the tab that asked. */
import { describe, expect, it } from 'vitest';
import { ConflictMovedOnError, HttpError, LoggedOutError, OfflineError, revive, sendable } from '../src/errors.js';
import type { Conflict } from '../src/types.js';

/** Through a structured clone, as over a BroadcastChannel. */
const across = (err: unknown) => revive(structuredClone(sendable(err)));

describe('errors between tabs', () => {
  it('keep their class and fields', () => {
    const conflict = { table_name: 'products', record_id: 'p1', sync_version: 7 } as Conflict;
    const moved = across(new ConflictMovedOnError(conflict));
    expect(moved).toBeInstanceOf(ConflictMovedOnError);
    expect((moved as ConflictMovedOnError).conflict).toEqual(conflict);
    const refused = across(new HttpError(409, 'conflict', 'moved on', 2_000, { conflict }));
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused).toMatchObject({ status: 409, code: 'conflict', message: 'moved on', retryAfterMs: 2_000, body: { conflict } });
    const offline = across(new OfflineError('503 busy', 503, 1_000));
    expect(offline).toBeInstanceOf(OfflineError);
    expect(offline).toMatchObject({ status: 503, retryAfterMs: 1_000, message: '503 busy' });
    expect(across(new LoggedOutError())).toBeInstanceOf(LoggedOutError);
  });

  it('others arrive as errors with their name and message', () => {
    const plain = across(new TypeError('bad'));
    expect(plain).toBeInstanceOf(Error);
    expect(plain).toMatchObject({ name: 'TypeError', message: 'bad' });
    expect(across('a string')).toMatchObject({ name: 'Error', message: 'a string' });
  });
});
