/**
 * The live records of the demo tenant (client 1) as the restore drill compares them: the
 * server's, read in SQL from the stack's database, and a till's, read through its engine;
 * both as `table/id` → data and version, tombstones left out. Also the server's epoch and
 * the records its outbox (`sync_queue`) says changed, to count what a reconcile applied.
 */
import type { Page } from 'playwright-core';
import type { Stack } from './launch.js';

/** One live record: its data and version. */
export interface Held {
  data: Record<string, unknown>;
  sync_version: number;
}

/** Live records by `table/id`. */
export type Holdings = Record<string, Held>;

/** The server's live records of client 1. */
export function serverHoldings(stack: Stack): Holdings {
  // HEX: the bytes of the JSON whatever the `mariadb` client's character set and escaping.
  const rows = stack.sql('SELECT table_name, record_id, sync_version, HEX(data) FROM records WHERE client_id = 1 AND is_deleted = 0');
  const holdings: Holdings = {};
  for (const row of rows.split('\n').filter(Boolean)) {
    const [table, id, version, hex] = row.split('\t') as [string, string, string, string];
    holdings[`${table}/${id}`] = { data: JSON.parse(Buffer.from(hex, 'hex').toString('utf8')), sync_version: Number(version) };
  }
  return holdings;
}

/** The server's data of `table/id` (`undefined`: it holds no live record). */
export const serverData = (stack: Stack, key: string) => serverHoldings(stack)[key]?.data;

/** What a till holds of every synced table, as its engine lists it. */
export function tillHoldings(page: Page): Promise<Holdings> {
  return page.evaluate(async () => {
    const { engine, possync } = window as any;
    const holdings: Record<string, { data: Record<string, unknown>; sync_version: number }> = {};
    for (const table of possync.TABLES as string[]) {
      for (const r of await engine.list(table)) holdings[`${table}/${r.record_id}`] = { data: r.data, sync_version: r.sync_version };
    }
    return holdings;
  });
}

/** The database's epoch, which every cursor carries. */
export const epoch = (stack: Stack) => stack.sql('SELECT epoch FROM server_meta WHERE id = 1').trim();

/** The last row of the outbox: changes after it are the ones written since. */
export const lastChange = (stack: Stack) => Number(stack.sql('SELECT COALESCE(MAX(id), 0) FROM sync_queue').trim());

/** `table/id` of every change written after outbox row `after`, sorted: one per applied edit. */
export function changedSince(stack: Stack, after: number): string[] {
  const rows = stack.sql(`SELECT CONCAT(table_name, '/', record_id) FROM sync_queue WHERE client_id = 1 AND id > ${after}`);
  return rows.split('\n').filter(Boolean).sort();
}
