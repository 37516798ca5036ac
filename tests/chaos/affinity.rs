//! Room affinity, measured on the fleet: how many fanout replicas hold each room (each holds
//! its own NATS subscriptions for it), and NATS deliveries to fanout per change written.

use std::time::Duration;

use serde::Serialize;
use sqlx::MySqlPool;

use crate::cluster::Cluster;

#[derive(Debug, Serialize)]
pub struct Affinity {
    /// Rooms with a device, and rooms held summed over the replicas.
    pub rooms: usize,
    pub rooms_held: f64,
    /// Changes written in the window, and the events fanout took from NATS meanwhile.
    pub changes: u64,
    pub deliveries: f64,
    pub seconds: f64,
}

impl Affinity {
    pub fn print(&self) {
        eprintln!(
            "room affinity: {} rooms held {:.0} times over the fanout replicas ({:.2} replicas a room); {} changes in {:.0} s reached fanout {:.0} times ({:.2} NATS deliveries a change)",
            self.rooms,
            self.rooms_held,
            self.rooms_held / self.rooms.max(1) as f64,
            self.changes,
            self.seconds,
            self.deliveries,
            self.deliveries / self.changes.max(1) as f64,
        );
    }
}

async fn events_in(cluster: &Cluster) -> f64 {
    let mut total = 0.0;
    for (_, fanout) in cluster.of_role("fanout") {
        total += fanout.metric("possync_ws_events_in_total").await;
    }
    total
}

/// Measures over `window` of the running load; `rooms` is how many rooms have a device.
pub async fn measure(
    cluster: &Cluster,
    pool: &MySqlPool,
    rooms: usize,
    window: Duration,
) -> anyhow::Result<Affinity> {
    let last_id: Option<u64> = sqlx::query_scalar("SELECT MAX(id) FROM sync_queue")
        .fetch_one(pool)
        .await?;
    let before = events_in(cluster).await;
    tokio::time::sleep(window).await;
    let deliveries = events_in(cluster).await - before;
    let changes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sync_queue WHERE id > ?")
        .bind(last_id.unwrap_or(0))
        .fetch_one(pool)
        .await?;
    let mut rooms_held = 0.0;
    for (_, fanout) in cluster.of_role("fanout") {
        rooms_held += fanout.metric("possync_ws_rooms").await;
    }
    Ok(Affinity {
        rooms,
        rooms_held,
        changes: changes as u64,
        deliveries,
        seconds: window.as_secs_f64(),
    })
}
