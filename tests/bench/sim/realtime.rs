//! Fanout: latency from a push to another device's WebSocket, and idle connections' memory.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::report::{IdleConnections, Latency};
use crate::Bench;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A device's WebSocket on the fanout replica.
pub async fn connect(bench: &Bench, token: &str, device: &str) -> Socket {
    let url = format!(
        "ws://127.0.0.1:{}/ws?token={token}&device_id={device}",
        bench.fanout.port
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0
}

/// `samples` one-record pushes, each timed until a second device of the branch receives it.
pub async fn push_to_device(bench: &Bench, samples: usize) -> Latency {
    let (_, _, token) = bench.tenant("realtime").await;
    let mut receiver = connect(bench, &token, "bench-rx").await;
    let mut times = Vec::with_capacity(samples);
    for n in 0..samples {
        let id = format!("inv-{n}");
        let body = json!({"device_id": "bench-tx", "records": [{"table_name": "invoices", "record_id": id,
            "data": {"total": n}, "local_updated_at": chrono::Utc::now().to_rfc3339()}]});
        let started = Instant::now();
        let response = bench
            .http
            .post(format!("{}/api/sync/batch-push", bench.ingest.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "push refused");
        loop {
            let message = receiver.next().await.expect("socket open").expect("frame");
            let Message::Text(text) = message else {
                continue;
            };
            let event: Value = serde_json::from_str(&text).unwrap();
            if event["record_id"] == id.as_str() {
                break;
            }
        }
        times.push(started.elapsed());
    }
    Latency::of(times)
}

/// Opens `count` idle connections (250 at a time) and reads fanout's memory growth.
pub async fn idle(bench: &Bench, count: usize) -> IdleConnections {
    let (_, _, token) = bench.tenant("idle").await;
    let before = bench.fanout.memory_kib("VmRSS:");
    let mut sockets = Vec::with_capacity(count);
    while sockets.len() < count {
        let wave = (sockets.len()..count.min(sockets.len() + 250))
            .map(|i| {
                let token = &token;
                async move { connect(bench, token, &format!("idle-{i}")).await }
            })
            .collect::<Vec<_>>();
        sockets.extend(futures::future::join_all(wave).await);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = bench.fanout.memory_kib("VmRSS:");
    IdleConnections {
        connections: count,
        fanout_rss_before_kib: before,
        fanout_rss_after_kib: after,
        bytes_per_connection: after.saturating_sub(before) as f64 * 1024.0 / count as f64,
    }
}
