//! The device's WebSocket to fanout: reconnects with backoff and jitter, pulls on connect,
//! on `resync` and on a gap in an event scope's numbers, applies events idempotently, and
//! refreshes its token on the socket before it expires.

use std::collections::HashMap;

use futures::{SinkExt, StreamExt};
use shared::wire::socket::ServerMessage;
use shared::wire::sync::Change;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::Client;

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
            let wait = self.inner.config.retry.delay(attempt.min(10));
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn connect_once(&self, stop: &CancellationToken) -> anyhow::Result<()> {
        let token = self.access_token().await?;
        let config = &self.inner.config;
        let url = format!(
            "{}/ws?token={token}&device_id={}",
            config.ws_url, config.device_id
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
        self.set_online(true);
        self.sync().await?;
        let mut last_seq: HashMap<u64, u64> = HashMap::new();
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
                    match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(ServerMessage::Sync { event, .. }) => {
                            let expected = last_seq.get(&event.branch_id).map(|seq| seq + 1);
                            last_seq.insert(event.branch_id, event.scope_seq);
                            let change = Change {
                                table_name: event.table_name,
                                record_id: event.record_id,
                                branch_id: (event.branch_id != 0).then_some(event.branch_id),
                                data: event.data,
                                server_updated_at: event.server_updated_at,
                                is_deleted: event.is_deleted,
                                sync_version: event.sync_version,
                            };
                            self.inner.store.apply(&change).await?;
                            if expected.is_some_and(|expected| event.scope_seq > expected) {
                                self.pull().await?;
                            }
                        }
                        Ok(ServerMessage::Resync { .. }) => {
                            self.pull().await?;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
