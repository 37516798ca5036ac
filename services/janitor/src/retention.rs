//! Deletes outbox rows published before the retention cut-off, in small batches.
//!
//! Each batch is its own statement and transaction, so ingest's inserts never wait long.
//! Unpublished rows are never deleted, whatever their age. Pulls read the record store, not
//! the outbox, so this retention never shortens what a device's cursor can reach.

use chrono::{DateTime, Utc};
use sqlx::MySqlPool;

/// Deletes published rows older than `cutoff`, `batch` at a time; returns how many.
pub async fn delete_published_before(
    pool: &MySqlPool,
    cutoff: DateTime<Utc>,
    batch: u32,
) -> sqlx::Result<u64> {
    let mut deleted = 0;
    loop {
        let rows = sqlx::query(
            "DELETE FROM sync_queue WHERE published_at IS NOT NULL AND published_at < ? \
             ORDER BY published_at LIMIT ?",
        )
        .bind(cutoff)
        .bind(batch)
        .execute(pool)
        .await?
        .rows_affected();
        deleted += rows;
        if rows < u64::from(batch) {
            return Ok(deleted);
        }
        tokio::task::yield_now().await;
    }
}
