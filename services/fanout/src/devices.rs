//! Device ids on the socket follow the rule pushes follow (ingest's `devices::bind`): an id
//! belongs to the client and branch of the first token that used it, by push or by socket,
//! and is refused to any other. A binding never changes once made, so a replica remembers
//! the ones it has read: a device it has seen reconnects without a database read, also
//! while MySQL is down (room affinity brings a room's devices back to the same replica).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;
use shared::token::Principal;
use sqlx::MySqlPool;

/// Bindings a replica remembers before it forgets them all and starts again (about 100
/// bytes each: 20 MB at most).
const MOST_REMEMBERED: usize = 200_000;

/// Device id → (client, branch), as read from or written to `devices`.
#[derive(Default)]
pub struct KnownDevices(Mutex<HashMap<String, (u64, u64)>>);

impl KnownDevices {
    fn owner(&self, device_id: &str) -> Option<(u64, u64)> {
        self.0.lock().expect("not poisoned").get(device_id).copied()
    }

    fn remember(&self, device_id: &str, owner: (u64, u64)) {
        let mut known = self.0.lock().expect("not poisoned");
        if known.len() >= MOST_REMEMBERED {
            known.clear();
        }
        known.insert(device_id.to_owned(), owner);
    }
}

/// Whether `principal` may use `device_id`, registering the id to its client and branch when
/// no one has used it yet. A remembered id costs nothing, another one primary-key read.
pub async fn may_use(
    pool: &MySqlPool,
    known: &KnownDevices,
    principal: &Principal,
    device_id: &str,
) -> sqlx::Result<bool> {
    let ours = (principal.client_id, principal.branch_id);
    if let Some(owner) = known.owner(device_id) {
        return Ok(owner == ours);
    }
    let owner = match owner(pool, device_id).await? {
        Some(owner) => owner,
        None => register(pool, principal, device_id).await?,
    };
    known.remember(device_id, owner);
    Ok(owner == ours)
}

/// Registers `device_id` to the principal's client and branch; its owner after that.
async fn register(
    pool: &MySqlPool,
    principal: &Principal,
    device_id: &str,
) -> sqlx::Result<(u64, u64)> {
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
    owner(pool, device_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

async fn owner(pool: &MySqlPool, device_id: &str) -> sqlx::Result<Option<(u64, u64)>> {
    sqlx::query_as("SELECT client_id, branch_id FROM devices WHERE device_id = ?")
        .bind(device_id)
        .fetch_optional(pool)
        .await
}
