//! The till's writes, each one local transaction (records and outbox together): a product
//! with its stock, a price, and a sale (invoice, its items, stock decrements and the cash
//! movement). Money is in minor units (cents) end to end: integers, never floating point.
import type { SyncEngine } from '@possync/client';

/** Stock a product starts with in the branch that adds it. */
export const START_STOCK = 100;

export interface CartLine {
  productId: string;
  /** Unit price, minor units. */
  price: number;
  quantity: number;
  /** Taken off the line, minor units. */
  discount?: number;
}

/** The shop's tax (`settings`: `tax_percent`, `prices_include_tax`, default included). */
export interface TaxRule {
  percent: number;
  included: boolean;
}

/** A sale's sums in minor units: lines less their discounts, the sale's discount, tax. */
export interface Sums {
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
}

/** What `lines` come to with `saleDiscount` off and `tax` (rounded half up, once, on the sale). */
export function sumsOf(lines: CartLine[], saleDiscount: number, tax: TaxRule): Sums {
  const gross = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
  const discount = Math.min(gross, lines.reduce((sum, l) => sum + Math.min(l.discount ?? 0, l.price * l.quantity), 0) + Math.max(0, saleDiscount));
  const net = gross - discount;
  if (tax.percent <= 0) return { subtotal: gross, discount, tax: 0, total: net };
  if (tax.included) return { subtotal: gross, discount, tax: Math.round((net * tax.percent) / (100 + tax.percent)), total: net };
  const added = Math.round((net * tax.percent) / 100);
  return { subtotal: gross, discount, tax: added, total: net + added };
}

export function newId(): string {
  // randomUUID needs a secure context; a till on a LAN address (http) has none.
  if (typeof crypto.randomUUID === 'function' && isSecureContext) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${Date.now().toString(36)}-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * A product's stock row in `branch`: one per branch and product (ids are unique per client,
 * so the product's id alone would make every branch write one row).
 */
export const stockId = (branch: number, productId: string) => `${branch}.${productId}`;

export async function addProduct(engine: SyncEngine, branch: number, product: { name: string; price: number; barcode?: string }): Promise<string> {
  const id = newId();
  await engine.write(async (w) => {
    const { name, price, barcode } = product;
    await w.put('products', id, barcode ? { name, price, barcode } : { name, price });
    await w.put('product_stock', stockId(branch, id), { product_id: id, quantity: START_STOCK });
  });
  return id;
}

export function setPrice(engine: SyncEngine, productId: string, price: number): Promise<void> {
  return engine.patch('products', productId, { price });
}

/** How a sale is paid: by cash, card or both; cash handed over may exceed the cash due. */
export interface Payment {
  /** Minor units paid by card (the rest of the total is cash). */
  card: number;
  /** What pays `card`: one of the shop's `payment_methods` (default `card`). */
  other?: string;
  /** Minor units of cash handed over (at least the cash due; the difference is change). */
  tendered: number;
}

/** The cash part, the change and the payments of `total` paid with `payment`, or why not. */
export function settle(total: number, payment: Payment): { cash: number; change: number; payments: { method: string; amount: number }[] } | 'card_exceeds_total' | 'not_enough_cash' {
  if (payment.card > total) return 'card_exceeds_total';
  const cash = total - payment.card;
  if (payment.tendered < cash) return 'not_enough_cash';
  const payments = [
    ...(cash > 0 ? [{ method: 'cash', amount: cash }] : []),
    ...(payment.card > 0 ? [{ method: payment.other ?? 'card', amount: payment.card }] : []),
  ];
  return { cash, change: payment.tendered - cash, payments };
}

/**
 * Writes a sale paid with `payment`; returns the invoice id. Its cash goes into the drawer:
 * a cash movement, and the open shift's expected cash up by an increment (two tills on one
 * shift add up).
 */
/** Loyalty points a sale earns: one per whole unit of its total. */
export const pointsFor = (total: number) => Math.floor(total / 100);

export async function checkout(engine: SyncEngine, branch: number, lines: CartLine[], sums: Sums, payment: Payment, shiftId?: string, customerId?: string): Promise<string> {
  const invoiceId = newId();
  const { total } = sums;
  const paid = settle(total, payment);
  if (typeof paid === 'string') throw new Error(paid);
  const onAccount = paid.payments.find((p) => p.method === 'account')?.amount ?? 0;
  if (onAccount > 0 && !customerId) throw new Error('account_needs_customer');
  await engine.write(async (w) => {
    for (const [n, line] of lines.entries()) {
      await w.put('invoice_items', `${invoiceId}.${n + 1}`, { invoice_id: invoiceId, product_id: line.productId, quantity: line.quantity, price: line.price, discount: line.discount ?? 0 });
      // The stock goes down by an increment, never by a value written over the server's:
      // two tills that sell the same product offline both count. A branch without a stock
      // row for the product gets one that sets no quantity (the server keeps its own).
      const id = stockId(branch, line.productId);
      if (!(await w.get('product_stock', id))) await w.put('product_stock', id, { product_id: line.productId });
      await w.increment('product_stock', id, { quantity: -line.quantity });
    }
    const items = lines.reduce((sum, l) => sum + l.quantity, 0);
    await w.put('invoices', invoiceId, {
      ...sums,
      items,
      created_at: new Date().toISOString(),
      payments: paid.payments,
      tendered: payment.tendered,
      change: paid.change,
      ...(shiftId ? { shift_id: shiftId } : {}),
      ...(customerId ? { customer_id: customerId } : {}),
    });
    // Points by increments: two tills crediting one customer both count.
    if (customerId && pointsFor(total) > 0) await w.increment('customers', customerId, { points: pointsFor(total) });
    // What the customer owes goes up by what they took on account.
    if (customerId && onAccount > 0) await w.increment('customers', customerId, { balance: onAccount });
    if (paid.cash > 0) {
      await w.put('cash_movements', invoiceId, { amount: paid.cash, type: 'in', invoice_id: invoiceId, ...(shiftId ? { shift_id: shiftId } : {}) });
      if (shiftId) await w.increment('shifts', shiftId, { expected_cash: paid.cash });
    }
  });
  return invoiceId;
}

/** A line of a past sale given back. */
export interface ReturnLine {
  productId: string;
  quantity: number;
  /** Unit price paid, minor units. */
  price: number;
}

/**
 * A refund of some lines of `invoiceId`: the return (its lines inside), the stock back up by
 * increments, the cash out of the drawer (a movement, and the open shift's expected cash
 * down by an increment). Returns the return's id.
 */
export async function refund(engine: SyncEngine, branch: number, invoiceId: string, lines: ReturnLine[], shiftId?: string): Promise<string> {
  const returned = lines.filter((l) => l.quantity > 0);
  if (returned.length === 0) throw new Error('nothing_to_return');
  const id = newId();
  const total = returned.reduce((sum, l) => sum + l.price * l.quantity, 0);
  await engine.write(async (w) => {
    await w.put('sales_returns', id, {
      invoice_id: invoiceId,
      total,
      created_at: new Date().toISOString(),
      items: returned.map((l) => ({ product_id: l.productId, quantity: l.quantity, price: l.price })),
      ...(shiftId ? { shift_id: shiftId } : {}),
    });
    for (const line of returned) {
      const stock = stockId(branch, line.productId);
      if (!(await w.get('product_stock', stock))) await w.put('product_stock', stock, { product_id: line.productId });
      await w.increment('product_stock', stock, { quantity: line.quantity });
    }
    await w.put('cash_movements', id, { amount: total, type: 'out', sales_return_id: id, ...(shiftId ? { shift_id: shiftId } : {}) });
    if (shiftId) await w.increment('shifts', shiftId, { expected_cash: -total });
  });
  return id;
}
