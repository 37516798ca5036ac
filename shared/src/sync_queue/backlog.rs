//! What waits to be published, and the deletion of what was published long ago.

use chrono::{DateTime, Utc};
use sqlx::{MySql, MySqlPool, QueryBuilder};

use super::publish::{push_spans, Group};

/// What waits to be published, of every client, read in two index dives on
/// `sync_groups_by_publication` whatever its size (a `COUNT(*)` read every unpublished entry:
/// 450 ms at 1,000,000, and `MIN(created_at)` 1.7 s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backlog {
    /// Sync queue ids from the oldest unpublished group's first to the newest one's last: the
    /// changes waiting, or more when groups between them were published out of order (an
    /// upper bound; 0 when none wait).
    pub span: u64,
    /// When the oldest unpublished group (the lowest id) was written.
    pub oldest: Option<DateTime<Utc>>,
}

pub async fn backlog(pool: &MySqlPool) -> sqlx::Result<Backlog> {
    let oldest: Option<(u64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, created_at FROM sync_groups WHERE published_at IS NULL ORDER BY id LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    let newest: Option<u64> = sqlx::query_scalar(
        "SELECT last_id FROM sync_groups WHERE published_at IS NULL ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(match (oldest, newest) {
        (Some((first, at)), Some(last)) => Backlog {
            span: last.saturating_sub(first) + 1,
            oldest: Some(at),
        },
        _ => Backlog {
            span: 0,
            oldest: None,
        },
    })
}

/// Seconds since `at` (0 for a time ahead of this clock).
pub fn age_seconds(at: DateTime<Utc>) -> f64 {
    (crate::clock::now() - at).num_milliseconds().max(0) as f64 / 1000.0
}

/// Changes not yet published of `client_id`, in `scopes` only when given.
pub async fn unpublished_of(
    pool: &MySqlPool,
    client_id: u64,
    scopes: Option<&[u64]>,
) -> sqlx::Result<i64> {
    let mut query = QueryBuilder::<MySql>::new(
        "SELECT CAST(COALESCE(SUM(change_count), 0) AS SIGNED) FROM sync_groups WHERE client_id = ",
    );
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

/// Deletes the groups published before `cutoff` and their sync queue rows, whole groups of
/// at most `batch` rows at a time (at least one group; each statement its own transaction,
/// so inserts never wait long; a group's rows go first, so none is left without its group);
/// unpublished groups stay whatever their age. Returns how many rows.
pub async fn delete_published_before(
    pool: &MySqlPool,
    cutoff: DateTime<Utc>,
    batch: u32,
) -> sqlx::Result<u64> {
    let mut deleted = 0;
    loop {
        let old: Vec<Group> = sqlx::query_as(
            "SELECT id, last_id, client_id, branch_scope, change_count, created_at FROM sync_groups \
             WHERE published_at IS NOT NULL AND published_at < ? ORDER BY published_at LIMIT ?",
        )
        .bind(cutoff)
        .bind(batch.max(1))
        .fetch_all(pool)
        .await?;
        let mut rows = 0;
        let fitting = old
            .iter()
            .take_while(|group| {
                rows += u32::from(group.change_count);
                rows <= batch
            })
            .count()
            .max(1)
            .min(old.len());
        let spans = &old[..fitting];
        if spans.is_empty() {
            return Ok(deleted);
        }
        let mut rows = QueryBuilder::<MySql>::new("DELETE FROM sync_queue WHERE ");
        push_spans(&mut rows, spans);
        deleted += rows.build().execute(pool).await?.rows_affected();
        let mut groups = QueryBuilder::<MySql>::new("DELETE FROM sync_groups WHERE id IN ");
        groups.push_tuples(spans, |mut row, span| {
            row.push_bind(span.id);
        });
        groups.build().execute(pool).await?;
        if old.len() < batch.max(1) as usize && spans.len() == old.len() {
            return Ok(deleted);
        }
    }
}
