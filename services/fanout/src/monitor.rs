//! Watches the NATS connection: core NATS delivers at most once, so when this replica may
//! have missed events (a reconnect, a slow-consumer notice) every device is told to resync.

use std::sync::Arc;

use async_nats::Event;
use tokio::sync::mpsc;

use crate::hub::Hub;

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
            }
            Event::SlowConsumer(_) => hub.resync_all("the server dropped events under load"),
            _ => {}
        }
    }
}
