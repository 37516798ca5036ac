//! Device ids on the socket follow the rule pushes follow (ingest's `devices::bind`): an id
//! belongs to the client and branch of the first token that used it, by push or by socket,
//! and is refused to any other.

use chrono::Utc;
use shared::token::Principal;
use sqlx::MySqlPool;

/// Whether `principal` may use `device_id`, registering the id to its client and branch when
/// no one has used it yet. A known id costs one primary-key read.
pub async fn may_use(
    pool: &MySqlPool,
    principal: &Principal,
    device_id: &str,
) -> sqlx::Result<bool> {
    let ours = Some((principal.client_id, principal.branch_id));
    if let Some(owner) = owner(pool, device_id).await? {
        return Ok(Some(owner) == ours);
    }
    let now = Utc::now();
    // A racing first use (push or socket) may register it first: then its owner decides.
    sqlx::query(
        "INSERT INTO devices (device_id, client_id, branch_id, first_seen_at, last_seen_at) \
         VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE device_id = device_id",
    )
    .bind(device_id)
    .bind(principal.client_id)
    .bind(principal.branch_id)
    .bind(now)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(owner(pool, device_id).await? == ours)
}

async fn owner(pool: &MySqlPool, device_id: &str) -> sqlx::Result<Option<(u64, u64)>> {
    sqlx::query_as("SELECT client_id, branch_id FROM devices WHERE device_id = ?")
        .bind(device_id)
        .fetch_optional(pool)
        .await
}
