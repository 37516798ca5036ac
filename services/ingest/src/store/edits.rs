//! The ids of edits applied, kept in `applied_edits` in the write transaction, so that an
//! edit pushed again (a lost answer, a crash, a relay, a replay) is not applied twice.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use shared::storage::Text;
use sqlx::{MySql, MySqlConnection, QueryBuilder};

use crate::record::Edit;

/// Which of the edits' ids were applied before. A locking read: it sees what committed
/// since the transaction began, and a concurrent push of the same id waits for this one.
pub async fn applied_before(
    tx: &mut MySqlConnection,
    client_id: u64,
    edits: &[&Edit],
) -> sqlx::Result<HashSet<String>> {
    let ids: Vec<&str> = edits
        .iter()
        .filter_map(|edit| edit.edit_id.as_ref().map(|id| id.as_str()))
        .collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut query =
        QueryBuilder::<MySql>::new("SELECT edit_id FROM applied_edits WHERE client_id = ");
    query.push_bind(client_id).push(" AND edit_id IN ");
    query.push_tuples(&ids, |mut row, id| {
        row.push_bind(*id);
    });
    query.push(" FOR UPDATE");
    let rows: Vec<(Text,)> = query.build_query_as().fetch_all(&mut *tx).await?;
    Ok(rows.into_iter().map(|(id,)| id.0).collect())
}

/// Remembers the ids of the edits that wrote a version.
pub async fn remember(
    tx: &mut MySqlConnection,
    client_id: u64,
    ids: &[&str],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut query =
        QueryBuilder::<MySql>::new("INSERT INTO applied_edits (client_id, edit_id, applied_at) ");
    query.push_values(ids, |mut row, id| {
        row.push_bind(client_id).push_bind(*id).push_bind(now);
    });
    query.build().execute(&mut *tx).await?;
    Ok(())
}
