//! Watches the NATS connection: core NATS delivers at most once, so when this replica may
//! have missed events (a reconnect, a slow-consumer notice) every device is told to resync.
//! After a reconnect devices are told again [`RESYNC_AGAIN_AFTER`] later: until the NATS
//! cluster's routes are back (after an outage of the whole cluster) a message published on
//! another node does not reach this one, though JetStream stored it.

use std::sync::Arc;
use std::time::Duration;

use async_nats::Event;
use tokio::sync::mpsc;

use crate::hub::Hub;

/// When devices are told to resync a second time after a reconnect. In the fault suite a
/// message published in the first seconds after the whole NATS cluster came back missed a
/// replica that had already resubscribed.
pub const RESYNC_AGAIN_AFTER: Duration = Duration::from_secs(5);

/// Handles NATS connection events until the client is gone.
pub async fn watch(mut events: mpsc::UnboundedReceiver<Event>, hub: Arc<Hub>) {
    let mut lost = false;
    while let Some(event) = events.recv().await {
        tracing::info!(%event, "NATS event");
        match event {
            Event::Disconnected => lost = true,
            // Subscriptions are restored on reconnect; only then can a pull be complete.
            Event::Connected if lost => {
                lost = false;
                hub.resync_all("the server lost its event feed for a while");
                let hub = hub.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(RESYNC_AGAIN_AFTER).await;
                    hub.resync_all("the event feed had time to settle after a reconnect");
                });
            }
            Event::SlowConsumer(_) => hub.resync_all("the server dropped events under load"),
            _ => {}
        }
    }
}
