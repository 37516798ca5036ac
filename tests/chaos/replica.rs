//! The MariaDB replica after the run: it replicates again (a kill or a partition between it
//! and the primary heals by itself), has applied every transaction the primary logged, and
//! holds the same records, so that a promotion after the run would lose nothing. After a
//! failover ([`crate::failover`]) these are the promoted replica and the old primary.

use std::time::Duration;

use sqlx::{MySqlPool, Row};

use crate::cluster::Cluster;

/// Whether the replica caught up within `within`, and what was seen.
pub async fn caught_up(
    cluster: &Cluster,
    primary: &MySqlPool,
    within: Duration,
) -> anyhow::Result<(bool, String)> {
    if cluster.first("mariadb-replica").is_err() {
        return Ok((true, "no MariaDB replica in the cluster".into()));
    }
    let replica = MySqlPool::connect(&cluster.database_url("mariadb-replica")?).await?;
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = String::new();
    while tokio::time::Instant::now() < deadline {
        let logged: String = sqlx::query_scalar("SELECT @@gtid_binlog_pos")
            .fetch_one(primary)
            .await?;
        let applied: String = sqlx::query_scalar("SELECT @@gtid_slave_pos")
            .fetch_one(&replica)
            .await?;
        let (on_primary, on_replica) = (checksum(primary).await?, checksum(&replica).await?);
        seen = format!(
            "primary at {logged}, replica at {applied}; records checksum {on_primary} and {on_replica}"
        );
        if logged == applied && on_primary == on_replica {
            return Ok((true, seen));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok((false, seen))
}

async fn checksum(pool: &MySqlPool) -> anyhow::Result<u64> {
    let row = sqlx::query("CHECKSUM TABLE records")
        .fetch_one(pool)
        .await?;
    // Signed or not depending on the server's version.
    let sum = match row.try_get::<Option<u64>, _>(1) {
        Ok(sum) => sum,
        Err(_) => row.try_get::<Option<i64>, _>(1)?.map(|n| n as u64),
    };
    Ok(sum.unwrap_or(0))
}
