//! The cart with its checkout, and the list of recent sales.
import type { SyncEngine } from '@possync/client';
import { h } from './dom';
import type { Locale } from './i18n';
import type { Product } from './products';
import { checkout, type CartLine } from './sale';

const RECENT = 10;

export function cartPanel(engine: SyncEngine, { t, lang, money }: Locale) {
  const lines = new Map<string, CartLine & { name: string }>();
  const list = h('ul', { className: 'lines' });
  const total = h('strong', {});
  const button = h('button', { testid: 'checkout', className: 'primary' }, t.checkout);
  const sales = h('ul', { className: 'sales' });
  const time = new Intl.DateTimeFormat(`${lang}-u-nu-latn`, { timeStyle: 'medium' });

  const draw = () => {
    list.replaceChildren(
      ...(lines.size
        ? [...lines.values()].map((l) => h('li', {}, h('bdi', {}, l.name), ` × ${l.quantity}`, h('span', {}, money(l.price * l.quantity))))
        : [h('li', { className: 'muted' }, t.emptyCart)]),
    );
    total.textContent = money([...lines.values()].reduce((s, l) => s + l.price * l.quantity, 0));
    button.disabled = lines.size === 0;
  };
  const add = (p: Product) => {
    const line = lines.get(p.id) ?? { productId: p.id, name: p.name, price: p.price, quantity: 0 };
    line.quantity += 1;
    lines.set(p.id, line);
    draw();
  };
  button.onclick = async () => {
    if (!lines.size) return;
    button.disabled = true;
    await checkout(engine, [...lines.values()]);
    lines.clear();
    draw();
  };

  const renderSales = async () => {
    const invoices = (await engine.list('invoices')).filter((r) => r.data);
    invoices.sort((a, b) => String(b.data!.sold_at ?? '').localeCompare(String(a.data!.sold_at ?? '')));
    sales.replaceChildren(
      ...invoices.slice(0, RECENT).map((r) => {
        const at = new Date(String(r.data!.sold_at ?? r.local_updated_at ?? ''));
        return h('li', { testid: 'sale' }, Number.isNaN(at.getTime()) ? '' : time.format(at), ` · ${Number(r.data!.items ?? 0)} ${t.items} · `, h('strong', {}, money(Number(r.data!.total ?? 0))));
      }),
    );
  };

  draw();
  const el = h('aside', { className: 'side' }, h('h2', {}, t.cart), list, h('p', { className: 'total' }, `${t.total} `, total), button, h('h2', {}, t.recentSales), sales);
  return { el, add, renderSales };
}
