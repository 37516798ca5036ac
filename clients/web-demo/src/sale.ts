//! The till's writes, each one local transaction (records and outbox together): a product
//! with its stock, a price, and a sale (invoice, its items, a stock decrement and the cash
//! movement).
import type { SyncEngine } from '@possync/client';

/** Stock a product starts with in this demo's branch. */
export const START_STOCK = 100;

export interface CartLine {
  productId: string;
  price: number;
  quantity: number;
}

export function newId(): string {
  // randomUUID needs a secure context; a till on a LAN address (http) has none.
  if (typeof crypto.randomUUID === "function" && isSecureContext) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

const cents = (n: number) => Math.round(n * 100) / 100;

export async function addProduct(engine: SyncEngine, name: string, price: number): Promise<string> {
  const id = newId();
  await engine.write(async (w) => {
    await w.put('products', id, { name, price: cents(price) });
    // One stock row per product in the till's branch; its id is the product's.
    await w.put('product_stock', id, { product_id: id, quantity: START_STOCK });
  });
  return id;
}

export function setPrice(engine: SyncEngine, productId: string, price: number): Promise<void> {
  return engine.patch('products', productId, { price: cents(price) });
}

/** Writes a sale; returns the invoice id. */
export async function checkout(engine: SyncEngine, lines: CartLine[]): Promise<string> {
  const invoiceId = newId();
  const total = cents(lines.reduce((sum, l) => sum + l.price * l.quantity, 0));
  await engine.write(async (w) => {
    for (const [n, line] of lines.entries()) {
      await w.put('invoice_items', `${invoiceId}:${n + 1}`, { invoice_id: invoiceId, product_id: line.productId, quantity: line.quantity, price: line.price });
      // The stock goes down by an increment, not by a value written over the server's: two
      // tills that sell the same product offline both count (issue 13). A product without
      // a stock row here gets one.
      if (await w.get('product_stock', line.productId)) await w.increment('product_stock', line.productId, { quantity: -line.quantity });
      else await w.put('product_stock', line.productId, { product_id: line.productId, quantity: -line.quantity });
    }
    const items = lines.reduce((sum, l) => sum + l.quantity, 0);
    await w.put('invoices', invoiceId, { total, items, sold_at: new Date().toISOString() });
    await w.put('cash_movements', invoiceId, { amount: total, type: 'in', invoice_id: invoiceId });
  });
  return invoiceId;
}
