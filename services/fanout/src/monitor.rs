//! Watches the NATS connection: core NATS delivers at most once, so when this replica may
//! have missed events (a reconnect, a slow-consumer notice) every device is told to resync.
//! After a reconnect devices are told again [`RESYNC_AGAIN_AFTER`] later, and so they are
//! after a first connection made late (the replica started while NATS was down): until the
//! NATS cluster's routes are back (after an outage of the whole cluster) a message
//! published on another node does not reach this one, though JetStream stored it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::Event;
use tokio::sync::mpsc;

use crate::hub::Hub;

/// When devices are told to resync a second time after a reconnect. In the fault suite a
/// message published in the first seconds after the whole NATS cluster came back missed a
/// replica that had already resubscribed.
pub const RESYNC_AGAIN_AFTER: Duration = Duration::from_secs(5);

/// A first connection to NATS later than this after the start means NATS was down when the
/// replica started, perhaps the whole cluster, whose routes may not be back yet.
const STARTED_WITHOUT_NATS: Duration = Duration::from_secs(1);

/// Handles NATS connection events until the client is gone.
pub async fn watch(mut events: mpsc::UnboundedReceiver<Event>, hub: Arc<Hub>) {
    let started = Instant::now();
    let (mut lost, mut connected_before) = (false, false);
    while let Some(event) = events.recv().await {
        tracing::info!(%event, "NATS event");
        match event {
            Event::Disconnected => lost = true,
            // Subscriptions are restored on reconnect; only then can a pull be complete.
            Event::Connected if lost => {
                lost = false;
                hub.resync_all("the server lost its event feed for a while");
                resync_again_later(&hub);
            }
            // In the fault suite a replica killed during a whole-NATS outage came back before
            // NATS did; without a reconnect its devices were never told, and 40 of 300 missed
            // events published in the first seconds.
            Event::Connected if !connected_before && started.elapsed() > STARTED_WITHOUT_NATS => {
                resync_again_later(&hub)
            }
            Event::SlowConsumer(_) => hub.resync_all("the server dropped events under load"),
            _ => {}
        }
        connected_before |= matches!(event, Event::Connected);
    }
}

fn resync_again_later(hub: &Arc<Hub>) {
    let hub = hub.clone();
    tokio::spawn(async move {
        tokio::time::sleep(RESYNC_AGAIN_AFTER).await;
        hub.resync_all("the event feed had time to settle after NATS came back");
    });
}
