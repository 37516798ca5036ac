//! The cart (quantities and discounts changed or lines removed, tax as the settings say),
//! its customer, its payment (cash with the change due, a card or the shop's methods, both,
//! or on account), checkout with its error shown, and the recent sales, a live query on the
//! invoices' time index (the last ten, however long the shop's history); a recent sale shows
//! its receipt again.
import type { SyncEngine } from '@possync/client';
import { h, setText } from './dom';
import { toMinor, type Locale } from './i18n';
import type { Product } from './products';
import { customerPicker } from './customer';
import { checkout, settle, sumsOf, type CartLine, type Payment, type TaxRule } from './sale';

/** What the cart asks of the till: the open shift, and where a sale's receipt goes. */
export interface CartHooks {
  shiftId(): string | undefined;
  receipt(invoiceId: string): void;
}

const RECENT = 10;

export function cartPanel(engine: SyncEngine, branch: number, locale: Locale, hooks: CartHooks) {
  const { t, money, time } = locale;
  const lines = new Map<string, CartLine & { name: string }>();
  const list = h('ul', { className: 'lines' });
  const total = h('strong', { testid: 'cart-total' });
  const button = h('button', { testid: 'checkout', className: 'primary' }, t.checkout);
  const error = h('p', { testid: 'checkout-error', className: 'error', role: 'alert' });
  const method = h(
    'select',
    { testid: 'pay-method' },
    h('option', { value: 'cash' }, t.cash),
    h('option', { value: 'card' }, t.card),
    h('option', { value: 'split' }, t.split),
  );
  // The non-cash part is paid by one of the shop's payment methods (a plain card without any).
  const other = h('select', { testid: 'pay-other', hidden: true }, h('option', { value: 'card' }, t.card));
  engine.live(() => engine.table('payment_methods').toArray()).subscribe({
    next: (methods) => {
      const names = methods.map((m) => String(m.data?.name ?? '')).filter(Boolean);
      const chosen = other.value;
      other.replaceChildren(
        ...(names.length ? names.map((n) => h('option', { value: n }, n)) : [h('option', { value: 'card' }, t.card)]),
        h('option', { value: 'account' }, t.account), // the customer's balance
      );
      if (names.includes(chosen)) other.value = chosen;
    },
    error: (err: unknown) => console.warn('payment methods query failed', err),
  });
  const tendered = h('input', { testid: 'pay-tendered', placeholder: t.tendered, inputMode: 'decimal' });
  const byCard = h('input', { testid: 'pay-card', placeholder: t.cardAmount, inputMode: 'decimal', hidden: true });
  const changeDue = h('strong', { testid: 'pay-change' });
  const customer = customerPicker(engine, locale);
  // The shop's tax, from its settings, kept current; a discount off the whole sale.
  let tax: TaxRule = { percent: 0, included: true };
  engine.live(() => engine.table('settings').toArray()).subscribe({
    next: (settings) => {
      const value = (key: string) => settings.find((r) => r.data?.key === key)?.data?.value;
      tax = { percent: Number(value('tax_percent') ?? 0) || 0, included: value('prices_include_tax') !== false };
      draw();
    },
    error: (err: unknown) => console.warn('settings query failed', err),
  });
  const saleDiscount = h('input', { testid: 'sale-discount', placeholder: t.saleDiscount, inputMode: 'decimal' });
  const sums = () => sumsOf([...lines.values()], toMinor(saleDiscount.value || '0') ?? 0, tax);
  const cartTotal = () => sums().total;
  const breakdown = h('p', { testid: 'cart-sums', className: 'muted' });
  /** The payment as the inputs say it (an empty cash input: exactly the cash due). */
  const payment = (): Payment | undefined => {
    const total = cartTotal();
    const card = method.value === 'card' ? total : method.value === 'split' ? toMinor(byCard.value || '0') : 0;
    if (card === undefined) return undefined;
    const given = tendered.value.trim() ? toMinor(tendered.value) : Math.max(0, total - card);
    return given === undefined ? undefined : { card, other: other.value, tendered: method.value === 'card' ? 0 : given };
  };
  const showChange = () => {
    tendered.hidden = method.value === 'card';
    byCard.hidden = method.value !== 'split';
    other.hidden = method.value === 'cash';
    const p = payment();
    const paid = p && settle(cartTotal(), p);
    setText(changeDue, paid && typeof paid !== 'string' ? `${t.change} ${money(paid.change)}` : '');
  };
  method.onchange = other.onchange = tendered.oninput = byCard.oninput = showChange;
  saleDiscount.oninput = () => draw();
  const sales = h('ul', { className: 'sales' });

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
              h('input', {
                testid: 'line-discount',
                className: 'discount',
                placeholder: t.discount,
                inputMode: 'decimal',
                value: l.discount ? (l.discount / 100).toFixed(2) : '',
                onchange: (e: Event) => {
                  l.discount = toMinor((e.target as HTMLInputElement).value || '0') ?? 0;
                  draw();
                },
              }),
              h('span', {}, money(l.price * l.quantity - Math.min(l.discount ?? 0, l.price * l.quantity))),
            ),
          )
        : [h('li', { className: 'muted' }, t.emptyCart)]),
    );
    const { subtotal, discount, tax: taxed } = sums();
    total.textContent = money(cartTotal());
    breakdown.textContent = discount || taxed ? `${t.subtotal} ${money(subtotal)} · ${t.discount} ${money(discount)} · ${t.tax} ${money(taxed)}` : '';
    button.disabled = lines.size === 0;
    showChange();
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
      const paid = payment();
      if (!paid) throw new Error(t.not_enough_cash);
      const invoiceId = await checkout(engine, branch, [...lines.values()], sums(), paid, hooks.shiftId(), customer.id());
      lines.clear();
      tendered.value = byCard.value = saleDiscount.value = '';
      error.textContent = '';
      customer.clear();
      hooks.receipt(invoiceId);
    } catch (err) {
      // Nothing was written (one transaction): the cart stays for another try.
      const message = (err as Error).message;
      error.textContent = `${t.checkoutFailed}: ${(t as Record<string, string>)[message] ?? message}`;
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
            const sale = h('li', { testid: 'sale', tabIndex: 0 }, Number.isNaN(at.getTime()) ? '' : time(at, { timeStyle: 'medium' }), ` · ${Number(r.data?.items ?? 0)} ${t.items} · `, h('strong', {}, money(Number(r.data?.total ?? 0))));
            sale.onclick = () => hooks.receipt(r.record_id); // a reprint
            return sale;
          }),
        ),
      error: (err: unknown) => console.warn('recent sales query failed', err),
    });

  draw();
  const pay = h('div', { className: 'pay' }, customer.el, h('label', {}, `${t.payment} `, method, ' ', other), tendered, byCard, changeDue);
  const el = h('section', { className: 'cart' }, h('h2', {}, t.cart), list, saleDiscount, breakdown, h('p', { className: 'total' }, `${t.total} `, total), pay, button, error, h('h2', {}, t.recentSales), sales);
  return { el, add };
}
