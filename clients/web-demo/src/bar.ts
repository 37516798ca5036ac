//! The sync bar: connection state, the first sync's progress, edits waiting to be pushed, open
//! conflicts, each settled with "keep mine" (the till's edit wins) or "keep server", edits
//! the server refused (with its reason, to discard), the last sync error with what to do,
//! and the cashier with a log out (a change of cashier).
import type { StoredConflict, SyncEngine, SyncStatus } from '@possync/client';
import { h, setText } from './dom';
import type { Locale } from './i18n';
import { syncProgress } from './progress';

export function syncBar(engine: SyncEngine, locale: Locale, cashier: string): { el: HTMLElement; update: (s: SyncStatus) => void } {
  const { t, lang, money } = locale;
  const state = h('span', { testid: 'connection-state', className: 'state' });
  const pending = h('span', { testid: 'pending-count' });
  const conflicts = h('ul', { className: 'conflicts' });
  const refused = h('ul', { className: 'conflicts' });
  const problem = h('span', { testid: 'sync-error', role: 'alert' });
  const logout = h('button', { testid: 'logout', type: 'button' }, t.logout);
  // Logged out, the page starts again at the login form (the next cashier's).
  logout.onclick = async () => {
    logout.disabled = true;
    await engine.logout().finally(() => location.reload());
  };
  const who = h('span', { className: 'who' }, h('bdi', { testid: 'cashier' }, cashier), ' ', logout);
  const el = h('header', { className: 'bar' }, state, syncProgress(engine, locale), h('span', { className: 'pending' }, pending, ` ${t.pending}`), problem, conflicts, refused, who);
  let shown = '';
  let shownRefused = '';

  const describe = (c: StoredConflict) => {
    const name = String(c.server_data?.name ?? c.local_data?.name ?? c.record_id);
    const price = (d: StoredConflict['local_data']) => (typeof d?.price === 'number' ? money(d.price) : JSON.stringify(d));
    return `${name}: ${t.mine} ${price(c.local_data)} · ${t.server} ${price(c.server_data)}`;
  };
  const resolve = async (c: StoredConflict, resolution: 'accept_client' | 'accept_server', button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      await engine.resolveConflict(c.table_name, c.record_id, resolution);
    } catch (err) {
      console.warn('resolve failed', err);
      button.disabled = false;
    }
  };

  const update = (s: SyncStatus) => {
    // The state word stays in English beside an Arabic label, for scripts and support calls.
    setText(state, lang === 'en' ? s.connection : `${t[s.connection]} (${s.connection})`);
    state.dataset.state = s.connection;
    setText(pending, String(s.pending));
    setText(problem, s.auth === 'logged_out' ? t.loggedOutHelp : s.lastError ? `${t.syncError}: ${s.lastError}` : '');
    const refusedKey = JSON.stringify(s.rejected.map((r) => r.seq));
    if (refusedKey !== shownRefused) {
      shownRefused = refusedKey;
      refused.replaceChildren(
        ...s.rejected.map((r) => {
          const discard = h('button', { testid: 'discard-refused' }, t.discard);
          discard.onclick = () => void engine.discardRejected(r.seq);
          return h('li', { testid: 'refused' }, h('bdi', {}, `${t.refused} ${r.table_name} ${r.record_id}: ${r.error}`), ' ', discard);
        }),
      );
    }
    const key = JSON.stringify(s.conflicts.map((c) => [c.table_name, c.record_id, c.sync_version]));
    if (key === shown) return;
    shown = key;
    conflicts.replaceChildren(
      ...s.conflicts.map((c) => {
        const mine = h('button', { testid: 'keep-mine' }, t.keepMine);
        const server = h('button', { testid: 'keep-server' }, t.keepServer);
        mine.onclick = () => resolve(c, 'accept_client', mine);
        server.onclick = () => resolve(c, 'accept_server', server);
        return h('li', { testid: 'conflict' }, h('bdi', {}, describe(c)), ' ', mine, server);
      }),
    );
  };
  return { el, update };
}
