//! Which edits a device already made: their rows are in the queue. An edit pushed again after
//! a lost answer is recognised by its record, its edit time and [`edit_digest`].

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{MySql, MySqlConnection, QueryBuilder};

use crate::registry::Table;
use crate::storage::Text;

/// What an edit wrote: its data but for counters (which other edits move), or that it
/// deleted (a delete stores none of what it sent).
pub fn edit_digest(table: &Table, is_deleted: bool, data: Option<&Value>) -> [u8; 32] {
    let mut digest = Sha256::new();
    match (is_deleted, data) {
        (false, Some(Value::Object(fields))) => {
            let mut fields = fields.clone();
            table
                .counters()
                .for_each(|counter| drop(fields.remove(counter)));
            digest.update(format!("write {}", Value::Object(fields)))
        }
        (false, Some(data)) => digest.update(format!("write {data}")),
        _ => digest.update("delete"),
    }
    digest.finalize().into()
}

/// An edit as the queue recognises it: table, record id, edit time and [`edit_digest`].
pub type MadeEdit = (String, String, DateTime<Utc>, [u8; 32]);

/// The edits `device` made of `records` (table, record id), whatever was written since.
pub async fn made_by(
    tx: &mut MySqlConnection,
    client_id: u64,
    device: &str,
    records: &[(&'static str, &str)],
) -> sqlx::Result<HashSet<MadeEdit>> {
    if records.is_empty() {
        return Ok(HashSet::new());
    }
    let mut query = QueryBuilder::<MySql>::new(
        "SELECT table_name, record_id, local_updated_at, edit_digest FROM sync_queue WHERE client_id = ",
    );
    query
        .push_bind(client_id)
        .push(" AND source_device_id = ")
        .push_bind(device);
    query.push(" AND (table_name, record_id) IN ");
    query.push_tuples(records, |mut row, (table, id)| {
        row.push_bind(*table).push_bind(*id);
    });
    type Row = (Text, Text, Option<DateTime<Utc>>, Option<Vec<u8>>);
    let rows: Vec<Row> = query.build_query_as().fetch_all(&mut *tx).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(table, id, time, digest)| {
            Some((table.0, id.0, time?, digest?.try_into().ok()?))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stock() -> &'static Table {
        crate::registry::lookup("product_stock").expect("product_stock")
    }

    #[test]
    fn the_digest_leaves_out_counters_and_tells_deletes_from_writes() {
        let one = json!({"product_id": "شاي", "quantity": 1});
        let other = json!({"product_id": "شاي", "quantity": 9});
        let renamed = json!({"product_id": "قهوة", "quantity": 1});
        let digest = |data: &Value| edit_digest(stock(), false, Some(data));
        assert_eq!(digest(&one), digest(&other));
        assert_ne!(digest(&one), digest(&renamed));
        assert_eq!(
            edit_digest(stock(), true, Some(&one)),
            edit_digest(stock(), true, None)
        );
        assert_ne!(edit_digest(stock(), true, None), digest(&one));
    }
}
