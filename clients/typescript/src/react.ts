/**
 * React bindings, `@possync/client/react` (React is a peer; the core bundle holds none of
 * this): `useQuery` watches a local query, `useRecord` one record, `useSyncStatus` the
 * engine's status. A query runs again when a write touches what it read — on this page, in
 * another tab, or from the server — and shows pending counter increments.
 */
import { liveQuery } from 'dexie';
import { useEffect, useState, useSyncExternalStore, type DependencyList } from 'react';
import type { SyncStatus } from './StatusBoard.js';
import type { SyncEngine } from './SyncEngine.js';
import type { SyncTable, TableRecord } from './SyncTable.js';
import type { TableName } from './tables.js';

/**
 * The latest result of `querier` (undefined until the first one), run again whenever what
 * it read changes, and anew when `deps` change. A failing query throws to the nearest error
 * boundary.
 */
export function useQuery<T>(querier: () => T | Promise<T>, deps: DependencyList = []): T | undefined {
  const [state, setState] = useState<{ value?: T; error?: unknown; failed?: boolean }>({});
  useEffect(() => {
    const subscription = liveQuery(querier).subscribe({
      next: (value) => setState({ value }),
      error: (error: unknown) => setState({ error, failed: true }),
    });
    return () => subscription.unsubscribe();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's deps, as with useEffect
  }, deps);
  if (state.failed) throw state.error;
  return state.value;
}

/** One record of `table` as the device holds it (undefined while loading, absent, or `id` unset). */
export function useRecord<T extends TableName>(table: SyncTable<T>, id: string | null | undefined): TableRecord<T> | undefined {
  return useQuery(() => (id ? table.get(id) : undefined), [table, id]);
}

/** The engine's status (connection, session, pending edits, refused ones, …), kept current. */
export function useSyncStatus(engine: SyncEngine): SyncStatus {
  return useSyncExternalStore(
    (changed) => engine.on('status', changed),
    () => engine.status,
  );
}
