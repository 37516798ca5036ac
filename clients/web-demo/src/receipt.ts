//! A sale's receipt, in the till's language: the shop's name (the `shop_name` setting), the
//! lines, the total, how it was paid and the change; printed on an 80 mm roll (the print
//! stylesheet shows the receipt alone) and shown again from the recent sales (a reprint).
import type { SyncEngine } from '@possync/client';
import { h } from './dom';
import type { Locale } from './i18n';

export function receiptPanel(engine: SyncEngine, { t, lang, money }: Locale) {
  const body = h('div', { testid: 'receipt-body' });
  const print = h('button', { testid: 'receipt-print', type: 'button', onclick: () => window.print() }, t.print);
  const close = h('button', { testid: 'receipt-close', type: 'button' }, t.close);
  const el = h('section', { testid: 'receipt', className: 'receipt', hidden: true }, body, h('div', { className: 'row no-print' }, print, close));
  close.onclick = () => (el.hidden = true);
  const time = new Intl.DateTimeFormat(`${lang}-u-nu-latn`, { dateStyle: 'short', timeStyle: 'short' });
  const method = (m: unknown) => (m === 'card' ? t.card : t.cash);

  const show = async (invoiceId: string) => {
    const invoice = await engine.table('invoices').get(invoiceId);
    if (!invoice?.data) return;
    const items = await engine.table('invoice_items').where('invoice_id').equals(invoiceId).toArray();
    const products = await Promise.all(items.map((i) => engine.table('products').get(String(i.data?.product_id))));
    const settings = await engine.table('settings').toArray();
    const shop = String(settings.find((s) => s.data?.key === 'shop_name')?.data?.value ?? t.title);
    const data = invoice.data;
    const payments = (Array.isArray(data.payments) ? data.payments : []) as { method: string; amount: number }[];
    const row = (label: string, amount: number, testid?: string) => h('p', { className: 'total', testid }, h('span', {}, label), h('span', {}, money(amount)));
    body.replaceChildren(
      h('h2', {}, shop),
      h('p', { className: 'muted' }, `${t.receipt} · ${time.format(new Date(String(data.created_at)))}`),
      h(
        'ul',
        { className: 'lines' },
        ...items.map((item, i) => {
          const quantity = Number(item.data?.quantity ?? 0);
          const price = Number(item.data?.price ?? 0);
          return h('li', { testid: 'receipt-line' }, h('bdi', {}, String(products[i]?.data?.name ?? item.data?.product_id)), ` × ${quantity}`, h('span', {}, money(price * quantity)));
        }),
      ),
      row(t.total, Number(data.total ?? 0), 'receipt-total'),
      ...payments.map((p) => row(method(p.method), p.amount)),
      ...(Number(data.change ?? 0) > 0 ? [row(t.change, Number(data.change), 'receipt-change')] : []),
    );
    el.hidden = false;
  };
  return { el, show };
}
