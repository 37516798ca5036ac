//! The database's epoch (`server_meta.epoch`), which every cursor carries: a new one after a
//! restore or a replica promotion refuses every device's cursor (410), so each device pushes
//! again the edits the server acknowledged and lost, and resyncs (`docs/operations.md`,
//! "Restore and failover").

use shared::storage::Text;
use sqlx::MySqlPool;

/// The current epoch.
pub async fn current(pool: &MySqlPool) -> sqlx::Result<String> {
    let epoch: Text = sqlx::query_scalar("SELECT epoch FROM server_meta WHERE id = 1")
        .fetch_one(pool)
        .await?;
    Ok(epoch.0)
}

/// Gives the database a new epoch; returns it.
pub async fn renew(pool: &MySqlPool) -> sqlx::Result<String> {
    sqlx::query("UPDATE server_meta SET epoch = UUID() WHERE id = 1")
        .execute(pool)
        .await?;
    current(pool).await
}
