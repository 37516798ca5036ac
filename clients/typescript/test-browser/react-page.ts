/**
 * A small React till on `@possync/client/react` (served at `/react.html` by `stack.ts`):
 * a search over products by name (`useQuery`), the first match (`useRecord`) and the sync
 * status (`useSyncStatus`). `window.startReactTill(options)` starts its engine and renders.
 */
import { createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { SyncEngine, type SyncEngineOptions } from '../src/index.js';
import { useQuery, useRecord, useSyncStatus } from '../src/react.js';

function Till({ engine }: { engine: SyncEngine }) {
  const products = engine.table('products');
  const status = useSyncStatus(engine);
  const [search, setSearch] = useState('');
  const found = useQuery(() => products.where('name').startsWith(search).limit(20).toArray(), [search]);
  const first = useRecord(products, found?.[0]?.record_id);
  return h(
    'main',
    null,
    h('p', { id: 'status' }, `${status.auth} pending=${status.pending}`),
    h('input', { id: 'search', value: search, onChange: (e: { target: { value: string } }) => setSearch(e.target.value) }),
    h('ul', { id: 'found' }, ...(found ?? []).map((r) => h('li', { key: r.record_id }, `${String(r.data?.name)} ${String(r.data?.price)}`))),
    h('p', { id: 'first' }, first ? `${String(first.data?.name)} @ ${String(first.data?.price)}` : '-'),
  );
}

(window as unknown as Record<string, unknown>).startReactTill = async (options: SyncEngineOptions) => {
  const engine = new SyncEngine(options);
  (window as unknown as Record<string, unknown>).engine = engine;
  await engine.start();
  createRoot(document.getElementById('root')!).render(h(Till, { engine }));
};
