//! Devices: an id is bound to the client and branch of the first token that used it.

use chrono::{DateTime, Utc};
use sqlx::MySqlConnection;

use crate::scope::CallerScope;

/// Why a device id cannot be used by this caller.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("device_id is registered to another client or branch")]
    BoundElsewhere,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Marks `device_id` seen (and synced when `synced`) at `now`, registering it to the
/// caller's client and branch on first use; refuses an id already bound elsewhere. A known
/// device costs one statement, so the write path runs this inside its transaction.
pub async fn bind(
    conn: &mut MySqlConnection,
    scope: &CallerScope,
    device_id: &str,
    now: DateTime<Utc>,
    synced: bool,
) -> Result<(), DeviceError> {
    // The pool's sessions report matched rows (CLIENT_FOUND_ROWS), not changed ones.
    let touched = sqlx::query(
        "UPDATE devices SET last_seen_at = ?, last_sync_at = IF(?, ?, last_sync_at) \
         WHERE device_id = ? AND client_id = ? AND branch_id = ?",
    )
    .bind(now)
    .bind(synced)
    .bind(now)
    .bind(device_id)
    .bind(scope.client_id)
    .bind(scope.branch_id)
    .execute(&mut *conn)
    .await?;
    if touched.rows_affected() == 1 {
        return Ok(());
    }
    // Unknown here: new, or bound elsewhere. A racing first push may register it first.
    sqlx::query(
        "INSERT INTO devices (device_id, client_id, branch_id, first_seen_at, last_seen_at, last_sync_at) \
         VALUES (?, ?, ?, ?, ?, IF(?, ?, NULL)) ON DUPLICATE KEY UPDATE device_id = device_id",
    )
    .bind(device_id)
    .bind(scope.client_id)
    .bind(scope.branch_id)
    .bind(now)
    .bind(now)
    .bind(synced)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let owner: Option<(u64, u64)> =
        sqlx::query_as("SELECT client_id, branch_id FROM devices WHERE device_id = ?")
            .bind(device_id)
            .fetch_optional(&mut *conn)
            .await?;
    if owner != Some((scope.client_id, scope.branch_id)) {
        return Err(DeviceError::BoundElsewhere);
    }
    Ok(())
}
