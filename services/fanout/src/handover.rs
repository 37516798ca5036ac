//! A replica cut from NATS while the rest of the cluster still publishes (a partition, not
//! an outage of NATS) hands its devices over: once it has been without NATS for
//! [`HANDOVER_AFTER`] and the database shows groups published within
//! [`shared::stranded::PUBLISHED_WITHIN`] (so after it lost NATS), it closes its sockets
//! with 1001 in drain batches. Its readiness is already false, so the balancer sends the
//! devices to a replica that relays, where they pull what they missed. When all of NATS is
//! down nothing is published, and devices stay where they are until the `resync` that
//! follows the reconnect ([`crate::monitor`]). A replica connected to a NATS node cut from
//! the others reconnects to another node ([`shared::stranded`]), and that reconnect tells
//! its devices to resync.

use std::time::Duration;

use async_nats::connection::State as NatsState;
use shared::stranded::others_published;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// How long a replica waits for NATS before it looks for a partition; longer than
/// [`shared::stranded::PUBLISHED_WITHIN`], so that what was published before the loss does
/// not count.
pub const HANDOVER_AFTER: Duration = Duration::from_secs(5);

/// Watches the NATS connection every second until `stop`.
pub async fn watch(state: AppState, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut lost_since: Option<Instant> = None;
    let mut handed_over = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if state.nats.connection_state() == NatsState::Connected {
            (lost_since, handed_over) = (None, false);
            continue;
        }
        let lost = *lost_since.get_or_insert_with(Instant::now);
        if handed_over || lost.elapsed() < HANDOVER_AFTER || state.hub.connection_count() == 0 {
            continue;
        }
        if others_published(&state.pool).await {
            handed_over = true;
            let devices = state.hub.connection_count();
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
