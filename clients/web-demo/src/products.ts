//! The product grid: a search box (a name's start, folded for Arabic and Latin, or a barcode:
//! a keyboard-wedge scanner types digits then Enter, and the product goes in the cart), the
//! matching products with their branch stock, add a product, edit a price. Everything is a
//! live query on the till's indexes: a change from any till updates the tiles, and the cost
//! does not grow with the shop's catalogue. Tiles are kept by id, so an open price editor
//! survives a change.
import type { SyncEngine, TableRecord } from '@possync/client';
import { h, setText } from './dom';
import { toMinor, type Locale } from './i18n';
import { addProduct, setPrice, stockId } from './sale';

/** Tiles shown at once (a search narrows them). */
const SHOWN = 48;

export interface Product {
  id: string;
  name: string;
  /** Minor units. */
  price: number;
  stock: number;
}

const asProduct = (r: TableRecord<'products'>, stock: number): Product => ({ id: r.record_id, name: String(r.data?.name ?? ''), price: Number(r.data?.price ?? 0), stock });

export function productGrid(engine: SyncEngine, branch: number, { t, money }: Locale, onPick: (p: Product) => void) {
  const products = engine.table('products');
  const stockRows = engine.table('product_stock');
  const search = h('input', { testid: 'search', type: 'search', placeholder: t.search, dir: 'auto', autocomplete: 'off' });
  const notice = h('p', { testid: 'search-notice', className: 'error', role: 'status' });
  const name = h('input', { testid: 'new-product-name', placeholder: t.name, required: true, dir: 'auto' });
  const price = h('input', { testid: 'new-product-price', placeholder: t.price, required: true, inputMode: 'decimal' });
  const barcode = h('input', { testid: 'new-product-barcode', placeholder: t.barcode, inputMode: 'numeric' });
  const form = h('form', { className: 'add' }, name, price, barcode, h('button', { testid: 'add-product', type: 'submit' }, t.addProduct));
  form.onsubmit = async (e) => {
    e.preventDefault();
    const minor = toMinor(price.value);
    if (!name.value.trim() || minor === undefined) return;
    const product = { name: name.value.trim(), price: minor, barcode: barcode.value.trim() || undefined };
    name.value = price.value = barcode.value = ''; // now: the next one may be typed meanwhile
    name.focus();
    await addProduct(engine, branch, product);
  };

  // A scan: digits then Enter. A product with that barcode goes in the cart at once.
  search.onkeydown = async (e) => {
    if (e.key !== 'Enter') return;
    const code = search.value.trim();
    if (!/^\d+$/.test(code)) return;
    e.preventDefault();
    const found = await products.where('barcode').equals(code).first();
    search.value = '';
    if (shownText !== '') show(''); // typing the digits filtered the grid
    if (!found) {
      notice.textContent = `${t.noBarcode} ${code}`;
      return;
    }
    notice.textContent = '';
    const row = await stockRows.get(stockId(branch, found.record_id));
    onPick(asProduct(found, Number(row?.data?.quantity ?? 0)));
  };
  search.oninput = () => show(search.value);

  const grid = h('div', { className: 'grid' });
  const tiles = new Map<string, { el: HTMLElement; product: Product; fill: (p: Product) => void }>();

  const tile = (product: Product) => {
    const title = h('bdi', { className: 'name' });
    const shownPrice = h('span', { className: 'price' });
    const stock = h('span', { testid: 'stock' });
    const input = h('input', { inputMode: 'decimal', hidden: true });
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
        input.value = (entry.product.price / 100).toFixed(2);
        input.focus();
      }
    };
    edit.onclick = (e) => (e.stopPropagation(), editing(true));
    input.onclick = (e) => e.stopPropagation();
    input.onkeydown = (e) => e.key === 'Enter' && save.click();
    save.onclick = async (e) => {
      e.stopPropagation();
      const minor = toMinor(input.value);
      if (minor === undefined) return;
      await setPrice(engine, entry.product.id, minor);
      editing(false);
    };
    el.onclick = () => onPick(entry.product);
    el.onkeydown = (e) => e.key === 'Enter' && e.target === el && onPick(entry.product);
    return entry;
  };

  const render = (shown: Product[]) => {
    const order: HTMLElement[] = [];
    const seen = new Set<string>();
    for (const p of shown) {
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

  /** The products matching `text` (all, by name, when empty) and their stock here, watched. */
  let watching: { unsubscribe(): void } | undefined;
  let shownText = '';
  const show = (text: string) => {
    shownText = text.trim();
    watching?.unsubscribe();
    const query = text.trim() ? products.where('name').startsWith(text) : products.orderBy('name');
    watching = engine
      .live(async () => {
        const found = await query.limit(SHOWN).toArray();
        const stock = await Promise.all(found.map((p) => stockRows.get(stockId(branch, p.record_id))));
        return found.map((p, i) => asProduct(p, Number(stock[i]?.data?.quantity ?? 0)));
      })
      .subscribe({ next: render, error: (err: unknown) => console.warn('product query failed', err) });
  };
  show('');

  const el = h('section', { className: 'products' }, h('h2', {}, t.products), search, notice, grid, form);
  return { el, search };
}
