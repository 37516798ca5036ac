/**
 * Local indexes: the fields a till looks records up by (a product's barcode, an invoice's
 * time, a customer's phone). Every row of `records` carries its index terms `[table, field,
 * value, record_id]` in one multi-entry IndexedDB index, added by a Dexie middleware on every
 * write, so no write path can forget them; packed copies keep theirs per pack
 * (`packedTerms.ts`). `query.ts` reads both. Text fields (`text`) are folded: case, Latin accents, Arabic
 * diacritics, tatweel and the forms of alef, yeh and teh marbuta do not count.
 */
import type { DBCore, Middleware } from 'dexie';
import { COUNTER_FIELDS } from './rules.js';
import type { LocalRecord } from './db.js';
import { TABLES, type TableName } from './tables.js';

/**
 * `exact`: equal values, ordered as stored; `text`: searched by folded prefix; `time`: an
 * RFC 3339 date-time (any offset, any precision) kept as milliseconds since 1970, so that
 * times order as times (a query takes a string, a `Date` or milliseconds).
 */
export type IndexKind = 'exact' | 'text' | 'time';

/** The indexed fields of each table (fields of `data`, declared or not). */
export type IndexSpec = { readonly [T in TableName]?: Readonly<Record<string, IndexKind>> };

/** What a till looks up; `SyncEngineOptions.indexes` adds to it. */
export const DEFAULT_INDEXES: IndexSpec = {
  products: { barcode: 'exact', sku: 'exact', name: 'text', category_id: 'exact' },
  customers: { phone: 'exact', name: 'text' },
  invoices: { created_at: 'time', shift_id: 'exact', customer_id: 'exact' },
  invoice_items: { invoice_id: 'exact' },
  product_stock: { product_id: 'exact' },
  sales_returns: { invoice_id: 'exact' },
  cash_movements: { shift_id: 'exact' },
  shifts: { opened_at: 'time' },
};

/** One index entry: `[table, field, value, record_id]`. */
export type Term = [string, string, string | number, string];

const MARKS = /[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]/g;

/** `text` as a `text` index holds it, and as a search for it is matched. */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(/[أإآٱ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/ة/g, 'ه')
    .toLowerCase()
    .trim();
}

export class Indexes {
  private readonly byTable: Map<string, Map<string, IndexKind>>;
  /** The spec as one string: a different one makes the stored terms be rebuilt. */
  readonly key: string;

  constructor(extra: IndexSpec = {}) {
    this.byTable = new Map();
    for (const spec of [DEFAULT_INDEXES, extra]) {
      for (const [table, fields] of Object.entries(spec)) {
        if (!(TABLES as readonly string[]).includes(table)) throw new Error(`possync: indexes: no synced table ${JSON.stringify(table)}`);
        const known = this.byTable.get(table) ?? new Map<string, IndexKind>();
        for (const [field, kind] of Object.entries(fields ?? {})) {
          if (COUNTER_FIELDS.get(table)?.includes(field)) {
            throw new Error(`possync: indexes: ${table}.${field} is a counter (pending increments change it); it cannot be indexed`);
          }
          if (!['exact', 'text', 'time'].includes(kind)) throw new Error(`possync: indexes: ${table}.${field} must be 'exact', 'text' or 'time'`);
          known.set(field, kind);
        }
        this.byTable.set(table, known);
      }
    }
    this.key = JSON.stringify([...this.byTable].sort().map(([t, f]) => [t, [...f].sort()]));
  }

  /** The indexed fields of `table` and how. */
  fieldsOf(table: string): ReadonlyMap<string, IndexKind> {
    return this.byTable.get(table) ?? new Map();
  }

  /** How `table.field` is indexed; throws, naming the indexed fields, when it is not. */
  kind(table: string, field: string): IndexKind {
    const kind = this.byTable.get(table)?.get(field);
    if (kind) return kind;
    const fields = [...(this.byTable.get(table)?.keys() ?? [])];
    throw new Error(
      `possync: ${table}.${field} is not indexed (${fields.length ? `indexed: ${fields.join(', ')}` : 'no field of it is'}; add it to SyncEngineOptions.indexes)`,
    );
  }

  /** A field's value as its index holds it (undefined: not indexable, e.g. an object). */
  value(kind: IndexKind, value: unknown): string | number | undefined {
    if (kind === 'time') {
      const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
      return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
    }
    if (typeof value === 'number' && Number.isFinite(value)) return kind === 'text' ? String(value) : value;
    if (typeof value !== 'string') return undefined;
    return kind === 'text' ? fold(value) : value;
  }

  /** The index entries of a live copy (none for a deleted one). */
  termsOf(row: Pick<LocalRecord, 'table_name' | 'record_id' | 'data' | 'is_deleted'>, into: Term[] = []): Term[] {
    const fields = this.byTable.get(row.table_name);
    if (!fields || row.is_deleted || !row.data) return into;
    for (const [field, kind] of fields) {
      const value = this.value(kind, row.data[field]);
      if (value !== undefined) into.push([row.table_name, field, value, row.record_id]);
    }
    return into;
  }

  /** A Dexie middleware that stores the terms with every row of `records`. */
  middleware(): Middleware<DBCore> {
    const withTerms = (value: object): object => {
      const { terms: _stale, ...row } = value as LocalRecord & { terms?: Term[] };
      const terms = this.termsOf(row);
      return terms.length > 0 ? { ...row, terms } : row;
    };
    return {
      stack: 'dbcore',
      name: 'possync-index-terms',
      create: (down) => ({
        ...down,
        table: (name) => {
          const table = down.table(name);
          if (name !== 'records') return table;
          return {
            ...table,
            mutate: (req) =>
              req.type === 'add' || req.type === 'put'
                ? table.mutate({ ...req, values: req.values.map((v) => withTerms(v as object)) })
                : table.mutate(req),
          };
        },
      }),
    };
  }
}

/** A row of `records` as callers see it: without its index terms. */
export function bare<T extends LocalRecord | undefined>(row: T): T {
  if (row && 'terms' in row) delete (row as { terms?: unknown }).terms;
  return row;
}
