//! Publishing state: rows marked published once JetStream stored their change, and overdue
//! unpublished rows claimed for the janitor's relay.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, MySql, MySqlConnection, QueryBuilder};

use crate::storage::Text;

/// Sets `published_at` on the given rows, a thousand per statement.
pub async fn mark_published(conn: &mut MySqlConnection, ids: &[u64]) -> sqlx::Result<()> {
    for chunk in ids.chunks(1000) {
        let mut query = QueryBuilder::<MySql>::new("UPDATE sync_queue SET published_at = ");
        query.push_bind(Utc::now()).push(" WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// An unpublished row, as the relay re-publishes it.
#[derive(Debug, FromRow)]
pub struct Unpublished {
    pub id: u64,
    pub client_id: u64,
    pub branch_scope: u64,
    pub table_name: Text,
    pub record_id: Text,
    pub operation: Text,
    pub source_device_id: Option<Text>,
    pub scope_seq: u64,
    pub group_position: Option<u64>,
    pub group_size: u16,
    pub created_at: DateTime<Utc>,
}

impl Unpublished {
    /// The group the row was published in: its transaction's changes on its subject (rows
    /// from before groups are alone in theirs).
    pub fn group(&self) -> (u64, u64) {
        (
            self.client_id,
            self.group_position.unwrap_or(u64::MAX - self.id),
        )
    }
}

/// Claims up to `limit` rows unpublished for longer than `grace`, oldest first, with
/// `FOR UPDATE SKIP LOCKED`: two janitors take different rows, and a janitor that dies
/// before commit leaves them unpublished.
pub async fn claim_overdue(
    tx: &mut MySqlConnection,
    grace: Duration,
    limit: u32,
) -> sqlx::Result<Vec<Unpublished>> {
    let cutoff = Utc::now() - grace;
    sqlx::query_as(
        "SELECT id, client_id, branch_scope, table_name, record_id, CAST(operation AS CHAR) AS operation, \
         source_device_id, scope_seq, group_position, group_size, created_at FROM sync_queue \
         WHERE published_at IS NULL AND created_at < ? \
         ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}
