//! Deletes groups published before the retention cut-off with their sync queue rows, and ids
//! of edits applied before theirs, in small batches.
//!
//! Each batch is its own statement and transaction, so ingest's inserts never wait long.
//! Unpublished groups are never deleted, whatever their age. Pulls read the record store, not
//! the sync queue, so this retention never shortens what a device's cursor can reach.

use chrono::{DateTime, Utc};
use shared::storage::delete_in_batches;
use sqlx::MySqlPool;

pub use shared::sync_queue::backlog::delete_published_before;

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
