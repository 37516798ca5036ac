//! The product grid: add a product (name, price), edit a price, stock shown; a tap on a
//! tile puts the product in the cart. Tiles are kept by id, so a change from another till
//! updates them in place and an open price editor survives it.
import type { LocalRecord, SyncEngine } from '@possync/client';
import { h, setText } from './dom';
import type { Locale } from './i18n';
import { addProduct, setPrice } from './sale';

export interface Product {
  id: string;
  name: string;
  price: number;
  stock: number;
}

export function productGrid(engine: SyncEngine, { t, collator, money }: Locale, onPick: (p: Product) => void) {
  const name = h('input', { testid: 'new-product-name', placeholder: t.name, required: true, dir: 'auto' });
  const price = h('input', { testid: 'new-product-price', placeholder: t.price, type: 'number', min: '0', step: '0.01', required: true, inputMode: 'decimal' });
  const form = h('form', { className: 'add' }, name, price, h('button', { testid: 'add-product', type: 'submit' }, t.addProduct));
  form.onsubmit = async (e) => {
    e.preventDefault();
    const value = Number(price.value);
    if (!name.value.trim() || !Number.isFinite(value) || value < 0) return;
    await addProduct(engine, name.value.trim(), value);
    name.value = '';
    price.value = '';
    name.focus();
  };
  const grid = h('div', { className: 'grid' });
  const tiles = new Map<string, { el: HTMLElement; product: Product; fill: (p: Product) => void }>();

  const tile = (product: Product) => {
    const title = h('bdi', { className: 'name' });
    const shownPrice = h('span', { className: 'price' });
    const stock = h('span', { testid: 'stock' });
    const input = h('input', { type: 'number', min: '0', step: '0.01', inputMode: 'decimal', hidden: true });
    const save = h('button', { testid: 'save-price', hidden: true }, t.save);
    const edit = h('button', { testid: 'edit-price' }, t.editPrice);
    const el = h('div', { testid: 'product', className: 'tile', tabIndex: 0 }, title, shownPrice, h('small', {}, `${t.stock} `, stock), h('div', { className: 'tools' }, edit, input, save));
    const entry = { el, product, fill: (p: Product) => {
      entry.product = p;
      setText(title, p.name);
      setText(shownPrice, money(p.price));
      setText(stock, String(p.stock));
    } };
    entry.fill(product);
    const editing = (on: boolean) => {
      input.hidden = save.hidden = !on;
      edit.hidden = on;
      if (on) {
        input.value = String(entry.product.price);
        input.focus();
      }
    };
    edit.onclick = (e) => (e.stopPropagation(), editing(true));
    input.onclick = (e) => e.stopPropagation();
    input.onkeydown = (e) => e.key === 'Enter' && save.click();
    save.onclick = async (e) => {
      e.stopPropagation();
      const value = Number(input.value);
      if (!Number.isFinite(value) || value < 0) return;
      await setPrice(engine, entry.product.id, value);
      editing(false);
    };
    el.onclick = () => onPick(entry.product);
    el.onkeydown = (e) => e.key === 'Enter' && e.target === el && onPick(entry.product);
    return entry;
  };

  const render = (products: Product[]) => {
    const order: HTMLElement[] = [];
    const seen = new Set<string>();
    for (const p of [...products].sort((a, b) => collator.compare(a.name, b.name) || a.id.localeCompare(b.id))) {
      seen.add(p.id);
      let entry = tiles.get(p.id);
      if (entry) entry.fill(p);
      else tiles.set(p.id, (entry = tile(p)));
      order.push(entry.el);
    }
    for (const [id, entry] of tiles) if (!seen.has(id)) (entry.el.remove(), tiles.delete(id));
    // Move tiles only when the order changed (moving a focused editor would blur it).
    if (order.some((el, i) => grid.children[i] !== el)) grid.append(...order);
  };

  const el = h('section', { className: 'products' }, h('h2', {}, t.products), form, grid);
  return { el, render };
}

/** Products with their branch stock, from the local store. */
export async function loadProducts(engine: SyncEngine): Promise<Product[]> {
  const [products, stock] = await Promise.all([engine.list('products'), engine.list('product_stock')]);
  const byProduct = new Map(stock.map((s: LocalRecord) => [String(s.data?.product_id ?? s.record_id), Number(s.data?.quantity ?? 0)]));
  return products
    .filter((p) => p.data)
    .map((p) => ({ id: p.record_id, name: String(p.data!.name ?? ''), price: Number(p.data!.price ?? 0), stock: byProduct.get(p.record_id) ?? 0 }));
}
