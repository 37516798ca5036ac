//! One pull of a million rows streamed to the socket, with ingest's resident memory sampled.

use std::time::{Duration, Instant};

use futures::StreamExt;
use possync_tests::history;

use crate::report::BigPull;
use crate::Bench;

/// Streams one pull of `rows` rows, sampling ingest's resident memory every 50 ms.
pub async fn run(bench: &Bench, rows: u64) -> BigPull {
    let (client_id, branch_id, token) = bench.tenant("big-pull").await;
    history::seed(&bench.db.pool, client_id, &[branch_id], "bulk", rows)
        .await
        .unwrap();
    let before = bench.ingest.memory_kib("VmRSS:");
    let started = Instant::now();
    let response = bench
        .http
        .get(format!(
            "{}/api/sync/pull-changes?limit={rows}",
            bench.ingest.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "big pull refused");
    let mut body = response.bytes_stream();
    let (mut bytes, mut peak, mut tail) = (0usize, before, Vec::new());
    let mut last_sample = Instant::now();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        bytes += chunk.len();
        tail = chunk.to_vec();
        if last_sample.elapsed() > Duration::from_millis(50) {
            peak = peak.max(bench.ingest.memory_kib("VmRSS:"));
            last_sample = Instant::now();
        }
    }
    let tail = String::from_utf8_lossy(&tail);
    assert!(
        tail.contains(r#""has_more":false"#),
        "the pull did not end: ...{tail}"
    );
    BigPull {
        rows,
        megabytes: bytes as f64 / 1e6,
        seconds: started.elapsed().as_secs_f64(),
        ingest_rss_before_kib: before,
        ingest_rss_peak_kib: peak,
    }
}
