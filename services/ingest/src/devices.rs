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

/// Registers `device_id` to the caller's client and branch on first use and refuses an id
/// already bound elsewhere. A known device costs one read; its last seen and last sync
/// times are written by the push transaction.
pub async fn bind(
    pool: &MySqlPool,
    scope: &CallerScope,
    device_id: &str,
) -> Result<(), DeviceError> {
    let owner = owner_of(pool, device_id).await?;
    let owner = match owner {
        Some(owner) => owner,
        None => {
            let now = Utc::now();
            sqlx::query(
                "INSERT IGNORE INTO devices (device_id, client_id, branch_id, first_seen_at, last_seen_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(device_id)
            .bind(scope.client_id)
            .bind(scope.branch_id)
            .bind(now)
            .bind(now)
            .execute(pool)
            .await?;
            // Another push may have registered it first: read who owns it now.
            owner_of(pool, device_id)
                .await?
                .ok_or(DeviceError::BoundElsewhere)?
        }
    };
    if owner != (scope.client_id, scope.branch_id) {
        return Err(DeviceError::BoundElsewhere);
    }
    Ok(())
}

async fn owner_of(pool: &MySqlPool, device_id: &str) -> sqlx::Result<Option<(u64, u64)>> {
    sqlx::query_as("SELECT client_id, branch_id FROM devices WHERE device_id = ?")
        .bind(device_id)
        .fetch_optional(pool)
        .await
}
