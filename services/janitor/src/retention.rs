//! Deletes outbox rows published before the retention cut-off, and ids of edits applied
//! before theirs, in small batches.
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
    delete_in_batches(
        pool,
        "DELETE FROM sync_queue WHERE published_at IS NOT NULL AND published_at < ? \
         ORDER BY published_at LIMIT ?",
        cutoff,
        batch,
    )
    .await
}

/// Forgets the ids of edits applied before `cutoff`; returns how many.
pub async fn forget_edits_before(
    pool: &MySqlPool,
    cutoff: DateTime<Utc>,
    batch: u32,
) -> sqlx::Result<u64> {
    delete_in_batches(
        pool,
        "DELETE FROM applied_edits WHERE applied_at < ? ORDER BY applied_at LIMIT ?",
        cutoff,
        batch,
    )
    .await
}

async fn delete_in_batches(
    pool: &MySqlPool,
    statement: &'static str,
    cutoff: DateTime<Utc>,
    batch: u32,
) -> sqlx::Result<u64> {
    let mut deleted = 0;
    loop {
        let rows = sqlx::query(statement)
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
