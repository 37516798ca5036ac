/**
 * The 31 synced tables (the server's registry, `wire/src/registry.rs`) and the subset a till
 * may sync (`SyncEngineOptions.tables`, sent as the pull's `tables` parameter). The list is
 * checked against the OpenAPI document's table names when the package is type-checked.
 */
import type { operations } from './generated/openapi.js';

/** A synced table's name, as the server's OpenAPI document lists them. */
export type TableName = operations['list_records']['parameters']['path']['table'];

export const TABLES = [
  'products', 'product_categories', 'customers', 'suppliers', 'invoices', 'invoice_items', 'employees', 'shifts',
  'cash_movements', 'payment_methods', 'deposit_sources', 'deposits', 'expense_categories', 'expense_items',
  'warehouses', 'product_stock', 'purchases', 'purchase_items', 'sales_returns', 'purchase_returns',
  'employee_advances', 'employee_deductions', 'whatsapp_accounts', 'whatsapp_messages', 'whatsapp_campaigns',
  'restaurant_tables', 'halls', 'promotions', 'printers', 'payment_apps', 'settings',
] as const satisfies readonly TableName[];

// Fails to type-check when the server lists a table this list lacks.
type Unlisted = Exclude<TableName, (typeof TABLES)[number]>;
const everyTableListed: [Unlisted] extends [never] ? true : Unlisted = true;

/**
 * The tables a till syncs, sorted and without repeats (`undefined`: all of them). Throws,
 * naming them, on unknown tables or an empty list.
 */
export function syncedTables(tables: readonly string[] | undefined): TableName[] | undefined {
  if (tables === undefined) return undefined;
  const unknown = tables.filter((t) => !(TABLES as readonly string[]).includes(t));
  if (unknown.length > 0 || tables.length === 0) {
    throw new Error(
      `possync: ${unknown.length ? `unknown table${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => JSON.stringify(t)).join(', ')} in` : 'no table in'} tables; the synced tables are ${TABLES.join(', ')}`,
    );
  }
  return [...new Set(tables as TableName[])].sort();
}
