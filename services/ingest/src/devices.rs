//! Devices: an id is bound to the client and branch of the first token that used it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::{MySql, MySqlConnection, QueryBuilder};

use crate::record::Author;
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

/// Marks the devices of `authors` seen and synced at `now` in one statement, when they all
/// have one client and branch and are bound there already; returns false (having changed
/// nothing of consequence) when they are not, or are of several branches, for
/// [`bind`] to take them one by one. Locks their rows in id order, as [`bind`] in id order
/// does.
pub async fn mark_synced<'a>(
    conn: &mut MySqlConnection,
    authors: impl Iterator<Item = &'a Author<'a>>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let mut scope = None;
    let mut ids = BTreeSet::new();
    for author in authors {
        let Some(device) = author.device else {
            continue;
        };
        let place = (author.scope.client_id, author.scope.branch_id);
        if *scope.get_or_insert(place) != place {
            return Ok(false);
        }
        ids.insert(device);
    }
    let Some((client_id, branch_id)) = scope else {
        return Ok(true);
    };
    let mut query = QueryBuilder::<MySql>::new("UPDATE devices SET last_seen_at = ");
    query
        .push_bind(now)
        .push(", last_sync_at = ")
        .push_bind(now)
        .push(" WHERE client_id = ")
        .push_bind(client_id)
        .push(" AND branch_id = ")
        .push_bind(branch_id)
        .push(" AND device_id IN ");
    query.push_tuples(&ids, |mut row, id| {
        row.push_bind(*id);
    });
    // The pool's sessions report matched rows (CLIENT_FOUND_ROWS), not changed ones.
    let touched = query.build().execute(&mut *conn).await?;
    Ok(touched.rows_affected() == ids.len() as u64)
}
