//! A replica cut from the NATS cluster while the rest of it still publishes (a partition,
//! not an outage of NATS) gets its devices their events again:
//! - without a NATS connection for [`HANDOVER_AFTER`], it hands its devices over: it closes
//!   its sockets with 1001 in drain batches; its readiness is already false, so the
//!   balancer sends them to a replica that relays, where they pull what they missed;
//! - connected to a node that lost the other nodes (it receives nothing published through
//!   them) for as long, it reconnects to another node of its list, and every device is told
//!   to resync.
//!
//! Either only once the database shows groups published within [`PUBLISHED_WITHIN`] (so
//! others publish). When all of NATS is down, or JetStream elects a leader, nothing is
//! published, and devices stay where they are until the `resync` that follows the
//! reconnect ([`crate::monitor`]).

use std::time::Duration;

use async_nats::connection::State as NatsState;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// How long a replica waits for NATS before it looks for a partition.
pub const HANDOVER_AFTER: Duration = Duration::from_secs(5);
/// How recent a publication must be to prove that NATS is up for the others; shorter than
/// [`HANDOVER_AFTER`], so that what was published before the loss does not count.
pub const PUBLISHED_WITHIN: Duration = Duration::from_secs(4);
/// How long JetStream has to answer through this replica's node.
const ANSWERS_WITHIN: Duration = Duration::from_secs(2);

/// How this replica stands with the NATS cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Link {
    Up,
    /// No NATS connection: readiness is already false.
    Disconnected,
    /// Connected to a node cut from the other nodes.
    Stranded,
}

/// Watches the NATS connection every second until `stop`.
pub async fn watch(state: AppState, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Since when the link has been what it is (a reconnect starts the count again).
    let mut since: Option<(Link, Instant)> = None;
    let mut handed_over = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let link = link(&state).await;
        if link == Link::Up {
            (since, handed_over) = (None, false);
            continue;
        }
        if since.is_none_or(|(was, _)| was != link) {
            since = Some((link, Instant::now()));
        }
        let cut = since.map_or(Instant::now(), |(_, at)| at);
        if handed_over || cut.elapsed() < HANDOVER_AFTER {
            continue;
        }
        // Publications first, then this replica's view again: JetStream that works for others
        // but not through this node after they published is a partition, not an election.
        if !others_publish(&state).await || self::link(&state).await == Link::Up {
            continue;
        }
        if link == Link::Stranded {
            // Another node of the list (drawn at random); the reconnect tells every device
            // to resync (`crate::monitor`). Drawn the same node again, this runs again.
            tracing::warn!("connected to a NATS node cut from the others; reconnecting");
            metrics::counter!("possync_nats_forced_reconnects_total").increment(1);
            let _ = state.nats.force_reconnect().await;
            since = None;
            continue;
        }
        handed_over = true;
        let devices = state.hub.connection_count();
        if devices > 0 {
            tracing::warn!(
                devices,
                "cut from NATS while others publish; handing devices over"
            );
            metrics::counter!("possync_ws_handovers_total").increment(1);
            let pause = Duration::from_millis(state.config.ws_drain_pause_ms);
            state.hub.drain(state.config.ws_drain_batch, pause).await;
        }
    }
}

/// Disconnected, or connected: through its node JetStream's meta leader answers
/// (`$JS.API.INFO`), or not. A node cut from the others loses its meta leader within ~8 s
/// (NATS 2.11) and its account requests fail then; the stream's old leader there still
/// answered for the stream's own info for ~15 s.
async fn link(state: &AppState) -> Link {
    if state.nats.connection_state() != NatsState::Connected {
        return Link::Disconnected;
    }
    let jetstream = async_nats::jetstream::new(state.nats.clone());
    let asked = tokio::time::timeout(ANSWERS_WITHIN, jetstream.query_account());
    match asked.await {
        Ok(Ok(_)) => Link::Up,
        _ => Link::Stranded,
    }
}

/// Whether a group was marked published within [`PUBLISHED_WITHIN`] (by the database's
/// clock, which stamps them); false when MySQL does not answer.
async fn others_publish(state: &AppState) -> bool {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS(SELECT 1 FROM sync_groups \
         WHERE published_at > UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND)",
    )
    .bind(PUBLISHED_WITHIN.as_micros() as u64)
    .fetch_one(&state.pool)
    .await
    .unwrap_or(false)
}
