//! Devices: an id is bound to the client and branch of the first token that used it.

use chrono::Utc;
use sqlx::MySqlPool;

use crate::scope::CallerScope;

/// Why a device id cannot be used by this caller.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("device_id is registered to another client or branch")]
    BoundElsewhere,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Registers `device_id` to the caller's client and branch on first use, refreshes its last
/// seen time, and refuses an id already bound elsewhere.
pub async fn bind(
    pool: &MySqlPool,
    scope: &CallerScope,
    device_id: &str,
) -> Result<(), DeviceError> {
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO devices (device_id, client_id, branch_id, first_seen_at, last_seen_at) \
         VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE last_seen_at = IF(client_id = VALUES(client_id) \
         AND branch_id = VALUES(branch_id), VALUES(last_seen_at), last_seen_at)",
    )
    .bind(device_id)
    .bind(scope.client_id)
    .bind(scope.branch_id)
    .bind(now)
    .bind(now)
    .execute(pool)
    .await?;
    let owner: (u64, u64) =
        sqlx::query_as("SELECT client_id, branch_id FROM devices WHERE device_id = ?")
            .bind(device_id)
            .fetch_one(pool)
            .await?;
    if owner != (scope.client_id, scope.branch_id) {
        return Err(DeviceError::BoundElsewhere);
    }
    Ok(())
}
