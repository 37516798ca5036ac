//! Benchmark of fanout on this machine: push → other device latency, and the memory of
//! 10,000 idle connections on one replica.
//!
//! Runs the release `ingest` and `fanout` binaries as their own processes over a fresh
//! database: `cargo build --release --bins`, then `target/release/ws-bench` (with the test
//! servers' env, see scripts/run-tests.sh). Prints figures; asserts nothing.

use std::time::{Duration, Instant};

use futures::StreamExt;
use possync_tests::process::{percentile_ms, service_env, ServiceProcess};
use possync_tests::{ingest_app, TestDb};
use serde_json::{json, Value};
use shared::token::{Principal, Role, TokenKeys};
use tokio_tungstenite::tungstenite::Message;

const SAMPLES: usize = 300;
const IDLE_CONNECTIONS: usize = 10_000;

async fn connect(
    port: u16,
    token: &str,
    device: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("ws://127.0.0.1:{port}/ws?token={token}&device_id={device}");
    tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0
}

#[tokio::main]
async fn main() {
    let db = TestDb::migrated().await;
    let config = ingest_app::config(&db);
    let env = service_env(&config, &db.url);
    let ingest = ServiceProcess::start("ingest", &env).await;
    let fanout = ServiceProcess::start("fanout", &env).await;
    let keys = TokenKeys::new(&config.jwt).unwrap();
    let client_id = ingest::accounts::create_client(&db.pool, "bench")
        .await
        .unwrap();
    let branch_id = ingest::accounts::create_branch(&db.pool, client_id, "b")
        .await
        .unwrap();
    let token = keys.issue(&Principal {
        user_id: 1,
        client_id,
        branch_id,
        role: Role::Cashier,
    });
    let http = reqwest::Client::new();

    let mut receiver = connect(fanout.port, &token, "bench-rx").await;
    let mut latencies = Vec::with_capacity(SAMPLES);
    for n in 0..SAMPLES {
        let id = format!("inv-{n}");
        let body = json!({"device_id": "bench-tx", "records": [{"table_name": "invoices", "record_id": id,
            "data": {"total": n}, "local_updated_at": chrono::Utc::now().to_rfc3339()}]});
        let started = Instant::now();
        let response = http
            .post(format!("{}/api/sync/batch-push", ingest.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        loop {
            let Some(Ok(Message::Text(text))) = receiver.next().await else {
                continue;
            };
            let event: Value = serde_json::from_str(&text).unwrap();
            if event["record_id"] == id.as_str() {
                break;
            }
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    println!(
        "push → other device (1 record): n={SAMPLES} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        percentile_ms(&latencies, 0.5),
        percentile_ms(&latencies, 0.99),
        percentile_ms(&latencies, 1.0)
    );

    let before = fanout.memory_kib("VmRSS:");
    let started = Instant::now();
    let mut idle = Vec::with_capacity(IDLE_CONNECTIONS);
    for batch in 0..IDLE_CONNECTIONS / 250 {
        let connects = (0..250).map(|i| {
            let token = token.clone();
            async move { connect(fanout.port, &token, &format!("idle-{batch}-{i}")).await }
        });
        idle.extend(futures::future::join_all(connects).await);
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = fanout.memory_kib("VmRSS:");
    let per_connection = (after.saturating_sub(before) as f64 * 1024.0) / IDLE_CONNECTIONS as f64;
    println!(
        "{IDLE_CONNECTIONS} idle connections opened in {:.1} s: fanout RSS {before} KiB → {after} KiB, {:.0} bytes per connection",
        opened.as_secs_f64(),
        per_connection
    );
    drop(idle);
}
