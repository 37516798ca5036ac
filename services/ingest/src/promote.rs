//! Promoting a MariaDB replica after its primary died: it applies everything it received,
//! stops replicating, takes writes, and gets a new epoch ([`crate::epoch`]) so that every
//! device reconciles (`docs/operations.md`, "Restore and failover").

use std::time::Duration;

use anyhow::{bail, Context};
use shared::storage::Text;
use sqlx::mysql::MySqlRow;
use sqlx::{MySqlPool, Row};

/// Where the promoted server stands.
#[derive(Debug)]
pub struct Promoted {
    /// The last transaction it applied (`@@gtid_current_pos`).
    pub applied: String,
    pub epoch: String,
}

/// Promotes the replica `pool` connects to. Refuses a server that is not a replica, one
/// still connected to its primary (stop the primary first: two primaries would hand out
/// the same positions), and one that cannot apply what it received within `wait`.
pub async fn promote(pool: &MySqlPool, wait: Duration) -> anyhow::Result<Promoted> {
    let status = replica_status(pool)
        .await?
        .context("this server is not a replica (SHOW SLAVE STATUS is empty)")?;
    if text(&status, "Slave_IO_Running")? == "Yes" {
        bail!(
            "the replica is still connected to its primary at {}: stop the primary first",
            text(&status, "Master_Host")?
        );
    }
    sqlx::raw_sql("STOP SLAVE IO_THREAD").execute(pool).await?;
    // Read again once nothing more arrives: everything the primary sent.
    let status = replica_status(pool)
        .await?
        .context("the replica's status")?;
    let received = text(&status, "Gtid_IO_Pos")?;
    let waited: Option<i64> = sqlx::query_scalar("SELECT MASTER_GTID_WAIT(?, ?)")
        .bind(&received)
        .bind(wait.as_secs_f64())
        .fetch_one(pool)
        .await?;
    if waited != Some(0) {
        let status = replica_status(pool)
            .await?
            .context("the replica's status")?;
        bail!(
            "the replica did not apply what it received ({received}) within {wait:?}: {}; \
             nothing was changed but its I/O thread, which START SLAVE restarts",
            text(&status, "Last_SQL_Error")?
        );
    }
    sqlx::raw_sql("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0")
        .execute(pool)
        .await?;
    let applied: Text = sqlx::query_scalar("SELECT @@gtid_current_pos")
        .fetch_one(pool)
        .await?;
    let epoch = crate::epoch::renew(pool).await?;
    Ok(Promoted {
        applied: applied.0,
        epoch,
    })
}

async fn replica_status(pool: &MySqlPool) -> sqlx::Result<Option<MySqlRow>> {
    let rows = sqlx::raw_sql("SHOW SLAVE STATUS").fetch_all(pool).await?;
    Ok(rows.into_iter().next())
}

fn text(row: &MySqlRow, column: &str) -> anyhow::Result<String> {
    let value: Option<Text> = row
        .try_get(column)
        .with_context(|| format!("SHOW SLAVE STATUS has no {column}"))?;
    Ok(value.map(|t| t.0).unwrap_or_default())
}
