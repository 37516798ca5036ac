/**
 * The server's rules for a write, checked before it is queued: the table exists, the record
 * id is one the server takes, and `data` holds the table's declared fields as the server
 * checks them (`wire/src/registry.rs`, published in the OpenAPI document and generated into
 * `generated/rules.ts`). A write the server would refuse throws here, naming the field, and
 * writes nothing.
 */
import type { RecordData } from './db.js';
import { RULES, type FieldRule } from './generated/rules.js';

export { RULES } from './generated/rules.js';

/** A write the server would refuse: nothing was written or queued. */
export class InvalidRecordError extends Error {
  constructor(
    readonly table: string,
    readonly recordId: string,
    /** The field at fault (`data.price`, `record_id`), when one is. */
    readonly field: string | undefined,
    message: string,
  ) {
    super(`possync: ${table} ${JSON.stringify(recordId)}: ${message}`);
    this.name = 'InvalidRecordError';
  }
}

/** The server's limits (`wire/src/ids.rs`, `registry.rs::MAX_DATA_DEPTH`, `times.rs`). */
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_DATA_DEPTH = 16;
const EARLIEST = Date.UTC(2000, 0, 1);
const MAX_AHEAD_MS = 24 * 3600 * 1000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

type Rules = typeof RULES;
const rulesOf = (table: string) => (RULES as Record<string, Rules[keyof Rules] | undefined>)[table];

/** Throws an {@link InvalidRecordError} unless `table` is synced and `id` is a valid record id. */
export function checkKey(table: string, id: string): void {
  if (!rulesOf(table)) throw new InvalidRecordError(table, id, undefined, `no synced table ${JSON.stringify(table)}`);
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new InvalidRecordError(table, String(id), 'record_id', "record_id must be 1 to 64 letters, digits, '_', '-', '.' or ':'");
  }
}

/**
 * Throws an {@link InvalidRecordError} naming the first field the server would refuse in
 * `data` (a record's whole data, as it is pushed). `now` is the device clock (edit times may
 * lie a day ahead of the server's).
 */
export function checkData(table: string, id: string, data: unknown, now = Date.now()): void {
  checkKey(table, id);
  const fail = (field: string | undefined, message: string): never => {
    throw new InvalidRecordError(table, id, field, message);
  };
  if (!data || typeof data !== 'object' || Array.isArray(data)) fail(undefined, 'data must be a JSON object');
  if (depth(data) > MAX_DATA_DEPTH) fail(undefined, `data nests objects and arrays deeper than ${MAX_DATA_DEPTH} levels`);
  for (const [name, rule] of Object.entries(rulesOf(table)!.fields) as [string, FieldRule][]) {
    const value = (data as RecordData)[name];
    if (value === undefined || value === null) {
      if (rule.required) fail(`data.${name}`, `data.${name} is required`);
      continue;
    }
    const problem = fieldProblem(rule, value, now);
    if (problem) fail(`data.${name}`, `data.${name} ${problem}`);
  }
}

/** Why `value` breaks `rule` (the server's wording), or undefined. */
function fieldProblem(rule: FieldRule, value: unknown, now: number): string | undefined {
  const number = typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  switch (rule.kind) {
    case 'text':
      return typeof value === 'string' && value.trim() !== '' ? undefined : 'must be a non-empty string';
    case 'reference':
      return (typeof value === 'string' && value.trim() !== '') || (Number.isInteger(value) && (value as number) > 0)
        ? undefined
        : 'must be the id of a record (a non-empty string or a positive integer)';
    case 'amount':
      return number !== undefined && number >= 0 ? undefined : 'must be a number ≥ 0';
    case 'positive':
      return number !== undefined && number > 0 ? undefined : 'must be a number > 0';
    case 'counter':
      return number === undefined ? 'must be a number' : undefined;
    case 'one_of':
      return typeof value === 'string' && rule.values!.includes(value) ? undefined : `must be one of ${rule.values!.join(', ')}`;
    case 'timestamp': {
      const time = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value) : NaN;
      if (Number.isNaN(time)) return 'must be an RFC 3339 date-time';
      return time < EARLIEST || time > now + MAX_AHEAD_MS ? 'must lie from 2000-01-01 to one day ahead of the clock' : undefined;
    }
  }
}

function depth(value: unknown): number {
  if (!value || typeof value !== 'object') return 0;
  const inner = Object.values(value as object).map(depth);
  return 1 + (inner.length ? Math.max(...inner) : 0);
}

/** The counter fields of each table (changed by increments that add up). */
export const COUNTER_FIELDS: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(RULES)
    .map(([table, { fields }]): [string, string[]] => [
      table,
      Object.entries(fields as Record<string, FieldRule>).filter(([, f]) => f.kind === 'counter').map(([name]) => name),
    ])
    .filter(([, counters]) => counters.length > 0),
);
