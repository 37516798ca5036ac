//! The device's WebSocket to fanout: reconnects with backoff and jitter, pulls on connect,
//! on `resync` and on a gap in an event scope's numbers (the `own` markers of its own
//! changes count, so its pushes never look like gaps), applies events idempotently (those of
//! its tables, when it pulls a subset), and refreshes its token on the socket before it
//! expires.

use std::collections::HashMap;

use futures::{SinkExt, StreamExt};
use possync_wire::socket::{ChangeEvent, ServerMessage};
use possync_wire::sync::Change;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::client::Client;

impl Client {
    /// Keeps the device connected until `stop` is cancelled.
    pub async fn run_realtime(&self, stop: CancellationToken) {
        let mut attempt = 0;
        while !stop.is_cancelled() {
            match self.connect_once(&stop).await {
                Ok(()) => attempt = 0,
                Err(err) => tracing::debug!(error = %err, "realtime connection ended"),
            }
            self.set_online(false);
            attempt += 1;
            let wait = self.inner.config.reconnect.delay(attempt.min(10));
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn connect_once(&self, stop: &CancellationToken) -> anyhow::Result<()> {
        let token = self.access_token().await?;
        let config = &self.inner.config;
        // The token goes in a header, never in the URL (proxies log URLs).
        let mut request =
            format!("{}/ws?device_id={}", config.ws_url, config.device_id).into_client_request()?;
        request
            .headers_mut()
            .insert(AUTHORIZATION, format!("Bearer {token}").parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        self.set_online(true);
        self.sync().await?;
        let mut scopes = ScopeCounts::default();
        let mut sent_token = token;
        let mut token_check = Box::pin(tokio::time::sleep(self.token_check_interval().await));
        loop {
            tokio::select! {
                _ = stop.cancelled() => {
                    let _ = socket.close(None).await;
                    return Ok(());
                }
                _ = &mut token_check => {
                    let fresh = self.access_token().await?;
                    if fresh != sent_token {
                        let auth = serde_json::json!({"type": "auth", "token": fresh});
                        socket.send(Message::text(auth.to_string())).await?;
                        sent_token = fresh;
                    }
                    token_check.set(tokio::time::sleep(self.token_check_interval().await));
                }
                frame = socket.next() => {
                    let Some(frame) = frame else { return Ok(()) };
                    let Message::Text(text) = frame? else { continue };
                    if let Ok(message) = serde_json::from_str::<ServerMessage>(&text) {
                        self.on_message(message, &mut scopes).await?;
                    }
                }
            }
        }
    }

    /// Applies a change, records a marker of the device's own change, or pulls on `resync`
    /// or a hole in a scope's numbers; other messages need nothing.
    async fn on_message(
        &self,
        message: ServerMessage,
        scopes: &mut ScopeCounts,
    ) -> anyhow::Result<()> {
        let missed = match message {
            ServerMessage::Sync { event, .. } => {
                let missed = scopes.skipped(event.branch_id, event.scope_seq);
                // A till pulling a subset keeps only those tables, from events as from pulls.
                if self.inner.pull.keeps(&event.table_name) {
                    self.inner.store.apply(&change_of(event)).await?;
                }
                missed
            }
            ServerMessage::Own {
                table_name,
                record_id,
                sync_version,
                branch_id,
                scope_seq,
                ..
            } => {
                let store = &self.inner.store;
                store.confirm(&table_name, &record_id, sync_version).await?;
                scopes.skipped(branch_id, scope_seq)
            }
            ServerMessage::Resync { .. } => true,
            _ => false,
        };
        if missed {
            self.pull().await?;
        }
        Ok(())
    }
}

/// The last `scope_seq` seen per `branch_id` on this connection, counting the device's own
/// changes (their markers) with everyone else's.
#[derive(Default)]
struct ScopeCounts(HashMap<u64, u64>);

impl ScopeCounts {
    /// Records `seq` for `branch_id`: true when numbers were skipped (an event was missed).
    /// The first number of a scope on a connection sets the count.
    fn skipped(&mut self, branch_id: u64, seq: u64) -> bool {
        let expected = self.0.insert(branch_id, seq).map(|last| last + 1);
        expected.is_some_and(|expected| seq > expected)
    }
}

fn change_of(event: ChangeEvent) -> Change {
    Change {
        table_name: event.table_name,
        record_id: event.record_id,
        branch_id: (event.branch_id != 0).then_some(event.branch_id),
        data: event.data,
        server_updated_at: event.server_updated_at,
        is_deleted: event.is_deleted,
        sync_version: event.sync_version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_counts_see_a_hole_only_when_a_number_is_skipped() {
        let mut scopes = ScopeCounts::default();

        let seen: Vec<bool> = [(2, 5), (2, 6), (0, 9), (2, 8), (0, 10), (2, 8)]
            .into_iter()
            .map(|(branch, seq)| scopes.skipped(branch, seq))
            .collect();

        assert_eq!(seen, [false, false, false, true, false, false]);
    }
}
