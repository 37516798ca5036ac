/** The server's rules checked before a write is queued: refused at once, naming the field, nothing written. */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db.js';
import { LocalStore } from '../src/LocalStore.js';
import { checkData, InvalidRecordError, RULES } from '../src/rules.js';
import type { SyncEngine } from '../src/SyncEngine.js';
import { TABLES } from '../src/tables.js';
import { FakeIngest, startEngine, uniqueName } from './fakes.js';

const started: SyncEngine[] = [];
afterEach(async () => {
  for (const e of started.splice(0)) await e.stop();
});

/** The message `checkData` throws for `data` of `table`, or 'ok'. */
function verdict(table: string, data: unknown, id = 'r1'): string {
  try {
    checkData(table, id, data);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRecordError);
    return (err as InvalidRecordError).message.replace(/^possync: \S+ "[^"]*": /, '');
  }
}

describe('the rules of a write', () => {
  it('cover every synced table, from the generated OpenAPI rules', () => {
    expect(Object.keys(RULES).sort()).toEqual([...TABLES].sort());
  });

  it('say what the server says for each kind of field', () => {
    expect(verdict('products', { name: 'Tea', price: 0, colour: 'green' })).toBe('ok');
    expect(verdict('products', { price: 1 })).toBe('data.name is required');
    expect(verdict('products', { name: null, price: 1 })).toBe('data.name is required');
    expect(verdict('products', { name: ' ', price: 1 })).toBe('data.name must be a non-empty string');
    expect(verdict('products', { name: 'Tea', price: -1 })).toBe('data.price must be a number ≥ 0');
    expect(verdict('products', { name: 'Tea', price: '9' })).toBe('data.price must be a number ≥ 0');
    expect(verdict('products', { name: 'Tea', price: 1, category_id: 0 })).toBe(
      'data.category_id must be the id of a record (a non-empty string or a positive integer)',
    );
    expect(verdict('products', { name: 'Tea', price: 1, category_id: 7 })).toBe('ok');
    expect(verdict('invoice_items', { invoice_id: 'i', product_id: 'p', quantity: 0, price: 1 })).toBe('data.quantity must be a number > 0');
    expect(verdict('customers', { name: 'Ali', points: 'many' })).toBe('data.points must be a number');
    expect(verdict('cash_movements', { amount: 5, type: 'sideways' })).toBe('data.type must be one of in, out');
    expect(verdict('shifts', { opened_at: 'yesterday' })).toBe('data.opened_at must be an RFC 3339 date-time');
    expect(verdict('shifts', { opened_at: '1999-12-31T23:59:59Z' })).toMatch(/^data.opened_at must lie from 2000-01-01/);
    expect(verdict('shifts', { opened_at: '2025-12-07T10:30:00+03:00' })).toBe('ok');
    expect(verdict('products', ['Tea'])).toBe('data must be a JSON object');
    const deep = Array.from({ length: 16 }).reduce<unknown>((v) => [v], 1);
    expect(verdict('products', { name: 'Tea', price: 1, x: deep })).toBe('data nests objects and arrays deeper than 16 levels');
    expect(verdict('products', { name: 'Tea', price: 1 }, 'has space')).toMatch(/^record_id must be 1 to 64/);
    expect(verdict('users', { name: 'x' })).toBe('no synced table "users"');
  });

  it('refuse a bad write before anything is written, in a transaction of several too', async () => {
    const db = openDatabase(uniqueName('rules'));
    const store = new LocalStore(db);
    await expect(store.put('products', 'p1', { name: 'Tea', price: -3 })).rejects.toMatchObject({
      name: 'InvalidRecordError',
      table: 'products',
      recordId: 'p1',
      field: 'data.price',
    });
    const sale = store.write(async (w) => {
      await w.put('invoices', 'i1', { total: 10 });
      await w.put('invoice_items', 'i1-1', { invoice_id: 'i1', product_id: 'p1', quantity: 1 });
    });
    await expect(sale).rejects.toThrow('data.price is required');
    expect(await db.records.count()).toBe(0);
    expect(await db.outbox.count()).toBe(0);
    // A patch is checked as the whole record the server gets.
    await store.put('products', 'p2', { name: 'Tea', price: 2 });
    await expect(store.patch('products', 'p2', { name: '' })).rejects.toThrow('data.name must be a non-empty string');
    await expect(store.patch('products', 'p3', { price: 2 })).rejects.toThrow('data.name is required');
    await expect(store.increment('products', 'p2', { price: 1 })).rejects.toThrow('products has no counters');
    expect((await store.get('products', 'p2'))!.data).toEqual({ name: 'Tea', price: 2 });
    expect(await db.outbox.count()).toBe(1);
    db.close();
  });

  it('typed tables check the same way; a refused edit retried with bad data stays refused', async () => {
    const server = new FakeIngest();
    const e = await startEngine(server, started, { wsUrl: undefined });
    await e.login('cashier1', 'password');
    const products = e.table('products');
    // @ts-expect-error price is a number
    await expect(products.put('p1', { name: 'Tea', price: '3' })).rejects.toThrow('data.price must be a number ≥ 0');
    const id = await products.add({ name: 'Tea', price: 3, barcode: '6221000000017' });
    expect((await products.get(id))!.data).toMatchObject({ name: 'Tea', price: 3 });
    await products.put('bad', { name: 'x', price: 1, invalid: true });
    await e.sync();
    const [refused] = await e.rejected();
    await expect(e.retryRejected(refused!.seq, { name: 'x' })).rejects.toThrow('data.price is required');
    expect((await e.rejected()).map((r) => r.seq)).toEqual([refused!.seq]);
    expect(() => e.table('users' as never)).toThrow('no synced table "users"');
  });
});
