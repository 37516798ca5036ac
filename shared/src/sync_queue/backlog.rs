//! What waits to be published, and the deletion of what was published long ago.

use chrono::{DateTime, Utc};
use sqlx::{MySql, MySqlPool, QueryBuilder};

use crate::storage::delete_in_batches;

/// Rows not yet published, of every client.
pub async fn unpublished(pool: &MySqlPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM sync_queue WHERE published_at IS NULL")
        .fetch_one(pool)
        .await
}

/// Rows not yet published of `client_id`, in `scopes` only when given.
pub async fn unpublished_of(
    pool: &MySqlPool,
    client_id: u64,
    scopes: Option<&[u64]>,
) -> sqlx::Result<i64> {
    let mut query =
        QueryBuilder::<MySql>::new("SELECT COUNT(*) FROM sync_queue WHERE client_id = ");
    query.push_bind(client_id);
    if let Some(scopes) = scopes {
        query.push(" AND branch_scope IN ");
        query.push_tuples(scopes, |mut row, scope| {
            row.push_bind(*scope);
        });
    }
    query.push(" AND published_at IS NULL");
    query.build_query_scalar().fetch_one(pool).await
}

/// When the oldest unpublished row was written.
pub async fn oldest_unpublished(pool: &MySqlPool) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar("SELECT MIN(created_at) FROM sync_queue WHERE published_at IS NULL")
        .fetch_one(pool)
        .await
}

/// Deletes rows published before `cutoff`, `batch` per statement (each its own
/// transaction, so inserts never wait long); unpublished rows stay whatever their age.
/// Returns how many.
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
