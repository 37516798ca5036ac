//! A sale's receipt, in the till's language: the shop's name (the `shop_name` setting), the
//! lines, the total, how it was paid and the change; printed on an 80 mm roll (the print
//! stylesheet shows the receipt alone) and shown again from the recent sales (a reprint),
//! where some of its lines can be refunded.
import type { SyncEngine } from '@possync/client';
import { h } from './dom';
import type { Locale } from './i18n';
import { refund, type ReturnLine } from './sale';

export function receiptPanel(engine: SyncEngine, branch: number, { t, money, time }: Locale, shiftId: () => string | undefined) {
  const body = h('div', { testid: 'receipt-body' });
  const refundButton = h('button', { testid: 'receipt-refund', type: 'button' }, t.refund);
  const confirm = h('button', { testid: 'refund-confirm', type: 'button', hidden: true }, t.confirmRefund);
  const refundResult = h('p', { testid: 'refund-result', role: 'status' });
  let returnable: { line: ReturnLine; input: HTMLInputElement }[] = [];
  refundButton.onclick = () => {
    for (const r of returnable) r.input.hidden = false;
    confirm.hidden = false;
  };
  const print = h('button', { testid: 'receipt-print', type: 'button', onclick: () => window.print() }, t.print);
  const close = h('button', { testid: 'receipt-close', type: 'button' }, t.close);
  const el = h('section', { testid: 'receipt', className: 'receipt', hidden: true }, body, h('div', { className: 'row no-print' }, print, refundButton, confirm, close), refundResult);
  let invoiceShown = '';
  confirm.onclick = async () => {
    const lines = returnable.map(({ line, input }) => ({ ...line, quantity: Math.min(line.quantity, Math.max(0, Math.floor(Number(input.value) || 0))) }));
    try {
      await refund(engine, branch, invoiceShown, lines, shiftId());
      refundResult.textContent = `${t.refunded} ${money(lines.reduce((s, l) => s + l.price * l.quantity, 0))}`;
      for (const r of returnable) r.input.hidden = true;
      confirm.hidden = true;
    } catch (err) {
      const message = (err as Error).message;
      refundResult.textContent = (t as Record<string, string>)[message] ?? message;
    }
  };
  close.onclick = () => (el.hidden = true);
  const method = (m: unknown) => (m === 'cash' ? t.cash : m === 'card' ? t.card : m === 'account' ? t.account : String(m));

  const show = async (invoiceId: string) => {
    const invoice = await engine.table('invoices').get(invoiceId);
    if (!invoice?.data) return;
    const items = await engine.table('invoice_items').where('invoice_id').equals(invoiceId).toArray();
    const products = await Promise.all(items.map((i) => engine.table('products').get(String(i.data?.product_id))));
    const settings = await engine.table('settings').toArray();
    const shop = String(settings.find((s) => s.data?.key === 'shop_name')?.data?.value ?? t.title);
    const data = invoice.data;
    const payments = (Array.isArray(data.payments) ? data.payments : []) as { method: string; amount: number }[];
    invoiceShown = invoiceId;
    refundResult.textContent = '';
    confirm.hidden = true;
    returnable = [];
    const row = (label: string, amount: number, testid?: string) => h('p', { className: 'total', testid }, h('span', {}, label), h('span', {}, money(amount)));
    body.replaceChildren(
      h('h2', {}, shop),
      h('p', { className: 'muted' }, `${t.receipt} · ${time(new Date(String(data.created_at)), { dateStyle: 'short', timeStyle: 'short' })}`),
      h(
        'ul',
        { className: 'lines' },
        ...items.map((item, i) => {
          const quantity = Number(item.data?.quantity ?? 0);
          const price = Number(item.data?.price ?? 0);
          const input = h('input', { testid: 'refund-qty', type: 'number', min: '0', max: String(quantity), value: '0', hidden: true, className: 'no-print' });
          returnable.push({ line: { productId: String(item.data?.product_id), quantity, price }, input });
          return h('li', { testid: 'receipt-line' }, h('bdi', {}, String(products[i]?.data?.name ?? item.data?.product_id)), ` × ${quantity}`, input, h('span', {}, money(price * quantity)));
        }),
      ),
      ...(Number(data.discount ?? 0) > 0 ? [row(t.subtotal, Number(data.subtotal ?? 0)), row(t.discount, -Number(data.discount))] : []),
      ...(Number(data.tax ?? 0) > 0 ? [row(t.tax, Number(data.tax), 'receipt-tax')] : []),
      row(t.total, Number(data.total ?? 0), 'receipt-total'),
      ...payments.map((p) => row(method(p.method), p.amount)),
      ...(Number(data.change ?? 0) > 0 ? [row(t.change, Number(data.change), 'receipt-change')] : []),
    );
    el.hidden = false;
  };
  return { el, show };
}
