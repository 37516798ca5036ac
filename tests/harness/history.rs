//! A shop's history written straight into the record store, for tests and benchmarks that
//! need a client of hundreds of thousands or millions of records (pushing them through the
//! API would take minutes): catalogue rows shared by the branches, and sales and cash
//! movements spread over the branches, at the client's next change positions.

use shared::storage::Text;
use sqlx::MySqlPool;

/// Rows per `INSERT … SELECT`: one statement stays a short transaction.
const CHUNK: u64 = 100_000;

/// Of every ten rows: products, customers (shared); invoices, cash movements (per branch).
const TABLE_OF_ROW: &str = "CASE seq % 10 WHEN 0 THEN 'products' WHEN 1 THEN 'products' \
     WHEN 2 THEN 'customers' WHEN 3 THEN 'cash_movements' WHEN 4 THEN 'cash_movements' \
     WHEN 5 THEN 'cash_movements' ELSE 'invoices' END";

/// Which table the row at `seq` of a [`seed`] call went to (the same rule as the SQL).
pub fn table_of_row(seq: u64) -> &'static str {
    match seq % 10 {
        0 | 1 => "products",
        2 => "customers",
        3..=5 => "cash_movements",
        _ => "invoices",
    }
}

/// What [`seed`] wrote.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    /// The client's change positions `first..=last` are the new rows, in `seq` order.
    pub first: u64,
    pub last: u64,
}

/// Appends `rows` records to client `client_id`: row `seq` (1-based) is in table
/// [`table_of_row`]`(seq)`, branch tables dealt to `branches` in turn, with the id
/// `<prefix>-<seq>` and `server_updated_at` ten seconds apart ending now (a year for
/// 3,000,000 rows). Needs MariaDB's sequence engine (`seq_1_to_N`).
pub async fn seed(
    pool: &MySqlPool,
    client_id: u64,
    branches: &[u64],
    prefix: &str,
    rows: u64,
) -> sqlx::Result<Seeded> {
    assert!(!branches.is_empty(), "a shop has at least one branch");
    // The counter row first: the rows are filed under time marks from it (the latest time up
    // to them, as the write path files them).
    sqlx::query("INSERT IGNORE INTO change_counters (client_id) VALUES (?)")
        .bind(client_id)
        .execute(pool)
        .await?;
    let before: u64 =
        sqlx::query_scalar("SELECT last_position FROM change_counters WHERE client_id = ?")
            .bind(client_id)
            .fetch_one(pool)
            .await?;
    let branch_list = branches
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let branch_of_row = format!("ELT(1 + seq % {}, {branch_list})", branches.len());
    let mut done = 0;
    while done < rows {
        let count = CHUNK.min(rows - done);
        let rows_of_chunk = format!(
            "FROM (SELECT seq, {TABLE_OF_ROW} AS table_name, {branch_of_row} AS branch, \
               NOW(6) - INTERVAL ((? - seq) * 10) SECOND AS at \
               FROM seq_{}_to_{}) AS t \
             JOIN change_counters c ON c.client_id = ?",
            done + 1,
            done + count
        );
        sqlx::query(&format!(
            "INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, \
             data, is_deleted, sync_version, position, local_updated_at, server_updated_at, \
             created_at) \
             SELECT ?, t.table_name, CONCAT(?, '-', t.seq), \
               IF(t.table_name IN ('products', 'customers'), 0, t.branch), t.branch, \
               JSON_OBJECT('name', CONCAT('Item ', t.seq), 'price', t.seq % 9973, \
                 'barcode', CONCAT('628', LPAD(t.seq, 10, '0')), 'note', 'seeded history'), \
               0, 1, ? + t.seq, t.at, t.at, t.at {rows_of_chunk}"
        ))
        .bind(client_id)
        .bind(prefix)
        .bind(before)
        .bind(rows)
        .bind(client_id)
        .execute(pool)
        .await?;
        // Each row filed under its time mark's minute, as the write path files each write.
        sqlx::query(&format!(
            "INSERT INTO change_marks (client_id, marked_at, position) \
             SELECT ?, DATE_FORMAT(GREATEST(t.at, c.time_mark), '%Y-%m-%d %H:%i:00'), ? + t.seq \
             {rows_of_chunk} ON DUPLICATE KEY UPDATE position = change_marks.position"
        ))
        .bind(client_id)
        .bind(before)
        .bind(rows)
        .bind(client_id)
        .execute(pool)
        .await?;
        done += count;
    }
    sqlx::query(
        "UPDATE change_counters SET last_position = ?, time_mark = GREATEST(time_mark, NOW(6)) \
         WHERE client_id = ?",
    )
    .bind(before + rows)
    .bind(client_id)
    .execute(pool)
    .await?;
    Ok(Seeded {
        first: before + 1,
        last: before + rows,
    })
}

/// A record as the store holds it, read back for comparing with what a device got.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub table_name: String,
    pub record_id: String,
    pub sync_version: u64,
    pub is_deleted: bool,
    pub branch_scope: u64,
    pub data: serde_json::Value,
}

/// Every record of `client_id` changed after `position`, straight from the store.
pub async fn changed_after(
    pool: &MySqlPool,
    client_id: u64,
    position: u64,
) -> sqlx::Result<Vec<StoredRecord>> {
    let rows: Vec<(Text, Text, u64, bool, u64, Text)> = sqlx::query_as(
        "SELECT table_name, record_id, sync_version, is_deleted, branch_scope, data FROM records \
         WHERE client_id = ? AND position > ?",
    )
    .bind(client_id)
    .bind(position)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(table, id, version, deleted, branch_scope, data)| {
            Ok(StoredRecord {
                table_name: table.0,
                record_id: id.0,
                sync_version: version,
                is_deleted: deleted,
                branch_scope,
                data: serde_json::from_str(&data.0)
                    .map_err(|err| sqlx::Error::Decode(err.into()))?,
            })
        })
        .collect()
}
