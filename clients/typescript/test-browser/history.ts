/**
 * A shop's history written straight into a test stack's database, for the tests and the
 * bench that need a client of hundreds of thousands of records (seeding them through the
 * push API takes ~15 s per 100,000). The same SQL as `tests/harness/history.rs`
 * (`possync_tests::history::seed`), with an invoice's `total` and a `created_at` time: catalogue rows shared by the branches, sales and cash
 * movements dealt to `branches` in turn, at the client's next change positions, through
 * MariaDB's sequence engine (`seq_1_to_N`).
 */
import type { Stack } from './stack.js';

/** Rows per `INSERT … SELECT`: one statement stays a short transaction. */
const CHUNK = 100_000;

/** Of every ten rows: products, customers (shared); invoices, cash movements (per branch). */
const TABLE_OF_ROW =
  "CASE seq % 10 WHEN 0 THEN 'products' WHEN 1 THEN 'products' WHEN 2 THEN 'customers' " +
  "WHEN 3 THEN 'cash_movements' WHEN 4 THEN 'cash_movements' WHEN 5 THEN 'cash_movements' ELSE 'invoices' END";

/** Which table row `seq` (1-based) of a {@link seedHistory} call went to (the SQL's rule). */
export function tableOfRow(seq: number): string {
  const r = seq % 10;
  return r <= 1 ? 'products' : r === 2 ? 'customers' : r <= 5 ? 'cash_movements' : 'invoices';
}

/** Whether row `seq` lives in a table every branch of the client shares. */
export const sharedRow = (seq: number) => ['products', 'customers'].includes(tableOfRow(seq));

export interface HistoryOptions {
  clientId?: number;
  /** Branch rows go to these in turn (`branches[seq % n]`). */
  branches: number[];
  /** Record ids are `<prefix>-<seq>`. */
  prefix: string;
  rows: number;
  /** Every row in this table instead of the mix of {@link TABLE_OF_ROW} (barcodes `629…`, not the mix's `628…`). */
  table?: 'products' | 'invoices';
}

/** Appends `rows` records to the client (default 1, the demo tenant); returns the seconds it took. */
export function seedHistory(stack: Stack, { clientId = 1, branches, prefix, rows, table }: HistoryOptions): number {
  if (!/^[A-Za-z0-9_]+$/.test(prefix)) throw new Error(`bad prefix ${prefix}`);
  if (branches.length === 0 || !branches.every(Number.isInteger)) throw new Error('a shop has at least one branch');
  const started = performance.now();
  // The counter row first: the rows are filed under time marks from it, as the write path files them.
  stack.sql(`INSERT IGNORE INTO change_counters (client_id) VALUES (${clientId})`);
  const before = Number(stack.sql(`SELECT last_position FROM change_counters WHERE client_id = ${clientId}`).trim());
  const branchOfRow = `ELT(1 + seq % ${branches.length}, ${branches.join(',')})`;
  for (let done = 0; done < rows; done += CHUNK) {
    const count = Math.min(CHUNK, rows - done);
    const rowsOfChunk = `FROM (SELECT seq, ${table ? `'${table}'` : TABLE_OF_ROW} AS table_name, ${branchOfRow} AS branch,
         NOW(6) - INTERVAL ((${rows} - seq) * 10) SECOND AS at
         FROM seq_${done + 1}_to_${done + count}) AS t
       JOIN change_counters c ON c.client_id = ${clientId}`;
    stack.sql(
      `INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, data, is_deleted,
         sync_version, position, local_updated_at, server_updated_at, created_at)
       SELECT ${clientId}, t.table_name, CONCAT('${prefix}-', t.seq),
         IF(t.table_name IN ('products', 'customers'), 0, t.branch), t.branch,
         JSON_OBJECT('name', CONCAT('Item ', t.seq), 'price', t.seq % 9973,
           'barcode', CONCAT('${table ? 629 : 628}', LPAD(t.seq, 10, '0')), 'note', 'seeded history',
           'total', t.seq % 9973, 'created_at', DATE_FORMAT(t.at, '%Y-%m-%dT%H:%i:%s.%fZ')),
         0, 1, ${before} + t.seq, t.at, t.at, t.at
       ${rowsOfChunk}`,
    );
    // Each row filed under its time mark's minute, as the write path files each write.
    stack.sql(
      `INSERT INTO change_marks (client_id, marked_at, position)
       SELECT ${clientId}, DATE_FORMAT(GREATEST(t.at, c.time_mark), '%Y-%m-%d %H:%i:00'), ${before} + t.seq
       ${rowsOfChunk} ON DUPLICATE KEY UPDATE position = change_marks.position`,
    );
  }
  stack.sql(
    `UPDATE change_counters SET last_position = ${before + rows}, time_mark = GREATEST(time_mark, NOW(6)) WHERE client_id = ${clientId}`,
  );
  return (performance.now() - started) / 1000;
}

/** How many of `rows` seeded rows a till of `branch` sees, with branch rows dealt to `branches`. */
export function visibleRows(rows: number, branches: number[], branch: number, tables?: string[]): number {
  let n = 0;
  for (let seq = 1; seq <= rows; seq++) {
    if (tables && !tables.includes(tableOfRow(seq))) continue;
    if (sharedRow(seq) || branches[seq % branches.length] === branch) n++;
  }
  return n;
}
