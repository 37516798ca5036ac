/**
 * One synced table as a typed local table: `engine.table('products')`. Its writes take the
 * table's `data` type (generated from the server's OpenAPI document) and are checked against
 * the server's rules before they are queued (`rules.ts`); its reads are the local copy, by id
 * or by index (`query.ts`).
 */
import type { LocalRecord } from './db.js';
import type { components } from './generated/openapi.js';
import type { RULES } from './generated/rules.js';
import type { LocalStore, WriteOptions } from './LocalStore.js';
import { Query, Where } from './query.js';
import type { TableName } from './tables.js';
import { randomId } from './util.js';

/** A table's `data`: its declared fields typed, any other field kept as sent. */
export type TableData<T extends TableName> = components['schemas'][`${T}.data`];

/** A record of table `T` as the device holds it. */
export type TableRecord<T extends TableName> = Omit<LocalRecord, 'table_name' | 'data'> & {
  table_name: T;
  data: TableData<T> | null;
};

type FieldsOf<T extends TableName> = T extends keyof typeof RULES ? (typeof RULES)[T]['fields'] : never;

/** The counter fields of table `T` (`increment` takes only these). */
export type CounterField<T extends TableName> = {
  [K in keyof FieldsOf<T>]: FieldsOf<T>[K] extends { kind: 'counter' } ? K : never;
}[keyof FieldsOf<T>] &
  string;

export class SyncTable<T extends TableName> {
  constructor(
    private readonly store: LocalStore,
    readonly name: T,
  ) {}

  /** The record as a page shows it (counters with pending increments). */
  get(id: string): Promise<TableRecord<T> | undefined> {
    return this.store.get(this.name, id) as Promise<TableRecord<T> | undefined>;
  }

  /** Writes a new record under a fresh random id; returns the id. */
  async add(data: TableData<T>, options?: WriteOptions): Promise<string> {
    const id = randomId();
    await this.put(id, data, options);
    return id;
  }

  put(id: string, data: TableData<T>, options?: WriteOptions): Promise<void> {
    return this.store.put(this.name, id, data, options);
  }

  /** Merges top-level fields into the record's data. */
  patch(id: string, fields: Partial<TableData<T>>, options?: WriteOptions): Promise<void> {
    return this.store.patch(this.name, id, fields, options);
  }

  delete(id: string, options?: WriteOptions): Promise<void> {
    return this.store.delete(this.name, id, options);
  }

  /** Adds to counter fields (`{ quantity: -1 }`): shown at once, added up on the server. */
  increment(id: string, increments: { [K in CounterField<T>]?: number }, options?: WriteOptions): Promise<void> {
    return this.store.increment(this.name, id, increments as Record<string, number>, options);
  }

  /** Every live record of the table, by id (a scan: prefer `where` on an index). */
  toArray(): Promise<TableRecord<T>[]> {
    return this.store.list(this.name) as Promise<TableRecord<T>[]>;
  }

  /** Records selected by an indexed field (`SyncEngineOptions.indexes`). */
  where(field: string): Where<TableRecord<T>> {
    this.store.db.indexes.kind(this.name, field); // throws, naming the indexed fields, if it is not
    return new Where(this.store.db, this.name, field);
  }

  /** Every record with `field` set, in its order (`.reverse().limit(10)`: the last ten). */
  orderBy(field: string): Query<TableRecord<T>> {
    return this.where(field).all();
  }
}
