//! The cart (quantities changed or lines removed, checkout with its error shown) and the
//! recent sales, a live query on the invoices' time index (the last ten, however long the
//! shop's history).
import type { SyncEngine } from '@possync/client';
import { h } from './dom';
import type { Locale } from './i18n';
import type { Product } from './products';
import { checkout, type CartLine } from './sale';

const RECENT = 10;

export function cartPanel(engine: SyncEngine, branch: number, { t, lang, money }: Locale) {
  const lines = new Map<string, CartLine & { name: string }>();
  const list = h('ul', { className: 'lines' });
  const total = h('strong', { testid: 'cart-total' });
  const button = h('button', { testid: 'checkout', className: 'primary' }, t.checkout);
  const error = h('p', { testid: 'checkout-error', className: 'error', role: 'alert' });
  const sales = h('ul', { className: 'sales' });
  const time = new Intl.DateTimeFormat(`${lang}-u-nu-latn`, { timeStyle: 'medium' });

  const change = (id: string, by: number) => {
    const line = lines.get(id);
    if (!line) return;
    line.quantity += by;
    if (line.quantity <= 0 || by === -Infinity) lines.delete(id);
    draw();
  };
  const draw = () => {
    list.replaceChildren(
      ...(lines.size
        ? [...lines.values()].map((l) =>
            h(
              'li',
              { testid: 'cart-line' },
              h('bdi', {}, l.name),
              h('span', { className: 'qty' },
                h('button', { testid: 'line-minus', type: 'button', onclick: () => change(l.productId, -1) }, '−'),
                h('span', { testid: 'line-quantity' }, String(l.quantity)),
                h('button', { testid: 'line-plus', type: 'button', onclick: () => change(l.productId, 1) }, '+'),
                h('button', { testid: 'line-remove', type: 'button', title: t.remove, onclick: () => change(l.productId, -Infinity) }, '×'),
              ),
              h('span', {}, money(l.price * l.quantity)),
            ),
          )
        : [h('li', { className: 'muted' }, t.emptyCart)]),
    );
    total.textContent = money([...lines.values()].reduce((s, l) => s + l.price * l.quantity, 0));
    button.disabled = lines.size === 0;
  };
  const add = (p: Product) => {
    const line = lines.get(p.id) ?? { productId: p.id, name: p.name, price: p.price, quantity: 0 };
    line.quantity += 1;
    lines.set(p.id, line);
    error.textContent = '';
    draw();
  };
  button.onclick = async () => {
    if (!lines.size) return;
    button.disabled = true;
    try {
      await checkout(engine, branch, [...lines.values()]);
      lines.clear();
      error.textContent = '';
    } catch (err) {
      // Nothing was written (one transaction): the cart stays for another try.
      error.textContent = `${t.checkoutFailed}: ${(err as Error).message}`;
    } finally {
      draw();
    }
  };

  engine
    .live(() => engine.table('invoices').orderBy('created_at').reverse().limit(RECENT).toArray())
    .subscribe({
      next: (invoices) =>
        sales.replaceChildren(
          ...invoices.map((r) => {
            const at = new Date(String(r.data?.created_at ?? ''));
            return h('li', { testid: 'sale' }, Number.isNaN(at.getTime()) ? '' : time.format(at), ` · ${Number(r.data?.items ?? 0)} ${t.items} · `, h('strong', {}, money(Number(r.data?.total ?? 0))));
          }),
        ),
      error: (err: unknown) => console.warn('recent sales query failed', err),
    });

  draw();
  const el = h('aside', { className: 'side' }, h('h2', {}, t.cart), list, h('p', { className: 'total' }, `${t.total} `, total), button, error, h('h2', {}, t.recentSales), sales);
  return { el, add };
}
