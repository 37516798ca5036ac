//! Boots the till: where the API is, this browser's device id, the SyncEngine, login, then
//! the till (sync bar, products, cart, recent sales).
import { PendingEditsError, SyncEngine } from '@possync/client';
import { syncBar } from './bar';
import { cartPanel } from './cart';
import { h } from './dom';
import { pickLocale, type Locale } from './i18n';
import { productGrid } from './products';
import { receiptPanel } from './receipt';
import { shiftPanel } from './shift';
import { newId } from './sale';
import './style.css';

const params = new URLSearchParams(location.search);
/** `?api=` / `?ws=` override where ingest and fanout are (kept for the next visit). */
function setting(key: string, fallback: string): string {
  const given = params.get(key);
  if (given) localStorage.setItem(`possync.${key}`, given);
  return localStorage.getItem(`possync.${key}`) ?? fallback;
}

const locale = pickLocale(location.search);
const apiUrl = setting('api', location.origin); // ingest serves the till (WEB_ROOT)
const wsUrl = setting('ws', `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:3001`);
const newDeviceId = () => `web-${newId().slice(0, 13)}`;
const deviceId = setting('device', newDeviceId());
localStorage.setItem('possync.device', deviceId);
// One database whatever the device id: a till handed to another branch keeps its session
// across the reload that gives it a new device id (below).
const engine = new SyncEngine({ apiUrl, wsUrl, deviceId, dbName: 'possync-till' });

/**
 * After a login: a till now used by another branch or shop (its data already wiped by the
 * engine) takes a new device id, since the server ties a device id to the branch it first
 * synced; the page reloads with it. Returns whether it reloads.
 */
async function followScope(): Promise<boolean> {
  const settings = await engine.table('settings').toArray();
  if (settings.find((r) => r.data?.key === 'digits')?.data?.value === 'arab') locale.useDigits('arab');
  const user = (await engine.http.currentSession())?.user;
  if (!user) return false;
  const scope = `${user.client_id}:${user.branch_id}`;
  const known = localStorage.getItem('possync.scope');
  localStorage.setItem('possync.scope', scope);
  if (known === null || known === scope) return false;
  localStorage.setItem('possync.device', newDeviceId());
  location.reload();
  return true;
}
const root = document.getElementById('app')!;

function loginForm({ t }: Locale): Promise<void> {
  return new Promise((done) => {
    const user = h('input', { testid: 'login-username', autocomplete: 'username', value: 'cashier1' });
    const pass = h('input', { testid: 'login-password', type: 'password', autocomplete: 'current-password' });
    const error = h('p', { testid: 'login-error', className: 'error', role: 'alert' });
    const form = h('form', { className: 'login' }, h('h1', {}, t.title), h('label', {}, t.username, user), h('label', {}, t.password, pass), h('button', { testid: 'login-submit', type: 'submit', className: 'primary' }, t.login), error);
    form.onsubmit = async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        await engine.login(user.value, pass.value);
        if (!(await followScope())) done();
      } catch (err) {
        // A cashier of another branch or shop while the last one's sales are not sent yet.
        const pendingEdits = err instanceof PendingEditsError;
        error.textContent = `${t.loginFailed}: ${pendingEdits ? t.pendingEdits : (err as Error).message}`;
      }
    };
    root.replaceChildren(form);
    pass.focus();
  });
}

/** The till: sync bar, products and cart, each kept current by live queries of its own. */
async function till(locale: Locale): Promise<void> {
  // The branch the session belongs to names its stock rows (`sale.ts`).
  const settings = await engine.table('settings').toArray();
  if (settings.find((r) => r.data?.key === 'digits')?.data?.value === 'arab') locale.useDigits('arab');
  const user = (await engine.http.currentSession())?.user;
  const branch = Number(user?.branch_id ?? 0);
  const bar = syncBar(engine, locale, user?.username ?? '');
  const shift = shiftPanel(engine, locale);
  const receipt = receiptPanel(engine, branch, locale, shift.current);
  const cart = cartPanel(engine, branch, locale, { shiftId: shift.current, receipt: (id) => void receipt.show(id) });
  const grid = productGrid(engine, branch, locale, cart.add);
  root.replaceChildren(bar.el, h('main', {}, grid.el, h('aside', { className: 'side' }, shift.el, cart.el, receipt.el)));
  engine.subscribe(bar.update);
  grid.search.focus();
}

await engine.start();
if (engine.status.auth === 'logged_out') await loginForm(locale);
else await followScope(); // remembers the scope of a till logged in before it was kept
await till(locale);

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register('/sw.js').catch((err) => console.warn('no service worker', err));
}
