//! The first sync's progress in the sync bar: records stored so far while a fresh till pulls
//! its shop's data, then "first sync complete" (kept across reloads by the engine); a later
//! catch-up (back from a long offline spell) shows its count the same way.
import type { SyncEngine, SyncProgress } from '@possync/client';
import { h, setText } from './dom';
import type { Locale } from './i18n';

export function syncProgress(engine: SyncEngine, { t, count }: Locale): HTMLElement {
  const el = h('span', { testid: 'sync-progress', className: 'progress', role: 'status' });
  const records = (n: number) => `${t.records}: ${count(n)}`;
  // What the first sync stored, when this page saw it end (a reload just says it is done).
  let firstSync = engine.progress.firstSyncDone ? 0 : -1;
  const show = ({ catchingUp, pulled, firstSyncDone }: SyncProgress) => {
    if (firstSyncDone && firstSync < 0) firstSync = pulled;
    el.dataset.state = !firstSyncDone ? 'first-sync' : catchingUp ? 'catching-up' : 'done';
    if (!firstSyncDone) setText(el, `${t.firstSync} — ${records(pulled)}`);
    else if (catchingUp) setText(el, `${t.catchingUp} — ${records(pulled)}`);
    else setText(el, firstSync > 0 ? `${t.firstSyncDone} — ${records(firstSync)}` : t.firstSyncDone);
  };
  show(engine.progress);
  engine.on('progress', show);
  return el;
}
