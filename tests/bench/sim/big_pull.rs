//! One pull of a million rows streamed to the socket, with ingest's resident memory sampled.

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::report::BigPull;
use crate::Bench;

/// Inserts `rows` invoices straight into the store at the client's next positions.
async fn bulk_insert(bench: &Bench, client_id: u64, branch_id: u64, rows: u64) {
    let pool = &bench.db.pool;
    let first: u64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(last_position), 0) AS UNSIGNED) FROM change_counters WHERE client_id = ?",
    )
    .bind(client_id)
    .fetch_one(pool)
    .await
    .unwrap();
    let mut position = first;
    while position < first + rows {
        let chunk: Vec<String> = (position + 1..=(position + 5_000).min(first + rows))
            .map(|p| {
                format!(
                    "({client_id},'invoices','bulk-{p}',{branch_id},{branch_id},\
                     '{{\"total\":{p},\"customer_id\":\"c-{}\",\"note\":\"bulk row\"}}',\
                     0,1,{p},NOW(6),NOW(6),NOW(6))",
                    p % 977
                )
            })
            .collect();
        position += chunk.len() as u64;
        sqlx::query(&format!(
            "INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, data, \
             is_deleted, sync_version, position, local_updated_at, server_updated_at, created_at) VALUES {}",
            chunk.join(",")
        ))
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO change_counters (client_id, last_position) VALUES (?, ?) \
         ON DUPLICATE KEY UPDATE last_position = VALUES(last_position)",
    )
    .bind(client_id)
    .bind(first + rows)
    .execute(pool)
    .await
    .unwrap();
}

/// Streams one pull of `rows` rows, sampling ingest's resident memory every 50 ms.
pub async fn run(bench: &Bench, rows: u64) -> BigPull {
    let (client_id, branch_id, token) = bench.tenant("big-pull").await;
    bulk_insert(bench, client_id, branch_id, rows).await;
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
