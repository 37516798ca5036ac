//! fanout replicas on port 0 sharing an ingest's NATS names and secret, and a device client
//! over a real WebSocket.

use std::net::SocketAddr;
use std::time::Duration;

use fanout::config::SocketConfig;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use shared::config::{HttpConfig, LogConfig};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use crate::TestIngest;

/// Socket settings for tests: the production defaults, with a fast heartbeat.
pub fn socket_config() -> SocketConfig {
    SocketConfig {
        ws_ping_interval_secs: 30.0,
        ws_pong_timeout_secs: 10.0,
        ws_queue_messages: 512,
        ws_max_inbound_bytes: 4096,
        ws_messages_per_second: 10,
        ws_allowed_origins: vec![],
        ws_max_connections: 20_000,
        ws_drain_delay_ms: 0,
        ws_drain_batch: 500,
        ws_drain_pause_ms: 20,
    }
}

/// A running fanout replica; stopped when dropped.
pub struct TestFanout {
    pub addr: SocketAddr,
    pub stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestFanout {
    /// A replica using `ingest`'s database, NATS, subject prefix and JWT secret.
    pub async fn spawn(ingest: &TestIngest) -> TestFanout {
        Self::spawn_with(ingest, |_| {}).await
    }

    pub async fn spawn_with(
        ingest: &TestIngest,
        adjust: impl FnOnce(&mut fanout::Config),
    ) -> TestFanout {
        let mut config = fanout::Config {
            http: HttpConfig {
                bind_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            },
            database: ingest.db.config(),
            nats: ingest.config.nats.clone(),
            jwt: ingest.config.jwt.clone(),
            log: LogConfig {
                log_format: "text".into(),
                log_spans: false,
            },
            socket: socket_config(),
        };
        adjust(&mut config);
        let app = fanout::Application::build(config)
            .await
            .expect("fanout starts");
        let addr = app.local_addr();
        let stop = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(stop.clone()));
        TestFanout {
            addr,
            stop,
            task: Some(task),
        }
    }

    /// Connects a device with its token in the query string.
    pub async fn connect(&self, token: &str, device_id: &str) -> Device {
        let request = self.request(&format!("token={token}&device_id={device_id}"));
        match self.open(request).await {
            Ok(device) => device,
            Err(refusal) => panic!("upgrade refused: {refusal:?}"),
        }
    }

    /// An upgrade request for `GET /ws?{query}`, to add headers to before [`Self::open`].
    pub fn request(&self, query: &str) -> Request {
        format!("ws://{}/ws?{query}", self.addr)
            .into_client_request()
            .expect("a valid WebSocket URL")
    }

    /// Opens `request`: the device, or the refusal's HTTP status and JSON body.
    pub async fn open(&self, request: Request) -> Result<Device, (u16, Value)> {
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(Device { socket }),
            Err(Error::Http(response)) => {
                let body = response.body().as_deref().unwrap_or_default();
                let json = serde_json::from_slice(body).unwrap_or(Value::Null);
                Err((response.status().as_u16(), json))
            }
            Err(other) => panic!("upgrade failed: {other}"),
        }
    }

    /// Waits (up to `wait`) until `/readyz` answers 200, as a balancer does before it sends
    /// devices; panics if it never does.
    pub async fn wait_until_ready(&self, wait: Duration) {
        let ready = format!("http://{}/readyz", self.addr);
        let deadline = tokio::time::Instant::now() + wait;
        while !reqwest::get(&ready)
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "not ready within {wait:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the replica (drain) and waits for it to end.
    pub async fn shut_down(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}

impl Drop for TestFanout {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// What a device saw next.
#[derive(Debug)]
pub enum Seen {
    Json(Value),
    Closed(Option<u16>),
    Nothing,
}

/// A device's WebSocket.
pub struct Device {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Device {
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send");
    }

    /// The next JSON message or close within `wait`, skipping pings and pongs.
    pub async fn next(&mut self, wait: Duration) -> Seen {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Seen::Nothing,
                Ok(None) | Ok(Some(Err(_))) => return Seen::Closed(None),
                Ok(Some(Ok(Message::Text(text)))) => {
                    return Seen::Json(serde_json::from_str(&text).expect("JSON"))
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Seen::Closed(frame.map(|CloseFrame { code, .. }| u16::from(code)))
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// The next JSON message; panics on anything else.
    pub async fn expect_json(&mut self, wait: Duration) -> Value {
        match self.next(wait).await {
            Seen::Json(value) => value,
            other => panic!("expected a message, saw {other:?}"),
        }
    }

    /// Every `sync` message until `quiet` passes without one.
    pub async fn drain_syncs(&mut self, quiet: Duration) -> Vec<Value> {
        let mut syncs = Vec::new();
        while let Seen::Json(message) = self.next(quiet).await {
            if message["type"] == "sync" {
                syncs.push(message);
            }
        }
        syncs
    }

    /// Subscribes to `room` and waits for the answer.
    pub async fn subscribe(&mut self, room: &str) -> Value {
        self.send(serde_json::json!({"type": "subscribe", "room": room}))
            .await;
        self.expect_json(Duration::from_secs(5)).await
    }
}
