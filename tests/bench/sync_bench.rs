//! Benchmark of the sync API on this machine: push of 50 records, pull of 100, and the
//! server's memory while it streams a 1,000,000-row pull.
//!
//! Runs the release `ingest` binary as its own process over a fresh database, so that its
//! resident memory can be read from /proc. Build first: `cargo build --release --bins`, then
//! `cargo run --release -p possync-tests --bin sync-bench` (with the test servers' env, see
//! scripts/run-tests.sh). Prints medians and percentiles; asserts nothing.

use std::time::{Duration, Instant};

use futures::StreamExt;
use possync_tests::process::{percentile_ms, service_env, ServiceProcess};
use possync_tests::{ingest_app, TestDb};
use serde_json::{json, Value};
use shared::token::Role;

const PUSHES: usize = 300;
const PULLS: usize = 300;
const BIG_PULL_ROWS: u64 = 1_000_000;

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<28} n={:<5} p50={:>7.2} ms  p95={:>7.2} ms  p99={:>7.2} ms",
        times.len(),
        percentile_ms(&times, 0.5),
        percentile_ms(&times, 0.95),
        percentile_ms(&times, 0.99)
    );
}

fn batch(n: usize) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    let records: Vec<Value> = (0..50)
        .map(|i| json!({"table_name": "products", "record_id": format!("b{n}-{i}"),
                        "data": {"name": format!("Product {n}-{i}"), "price": i, "barcode": "4006381333931"},
                        "local_updated_at": now}))
        .collect();
    json!({"device_id": "bench-till", "records": records})
}

/// The database floor: a transaction inserting 50 rows of the same size, straight to MariaDB.
async fn floor(db: &TestDb) -> Vec<Duration> {
    sqlx::query(
        "CREATE TABLE floor_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, data JSON NOT NULL)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let mut sql = String::from("INSERT INTO floor_probe (data) VALUES ");
    for i in 0..50 {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(r#"('{"name": "Product", "price": 12, "barcode": "4006381333931"}')"#);
    }
    let mut times = Vec::new();
    for _ in 0..PUSHES {
        let started = Instant::now();
        let mut tx = db.pool.begin().await.unwrap();
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        times.push(started.elapsed());
    }
    times
}

async fn bulk_insert(db: &TestDb, client_id: u64, branch_id: u64, rows: u64) {
    let chunk = 5_000;
    let first: u64 =
        sqlx::query_scalar("SELECT last_position FROM change_counters WHERE client_id = ?")
            .bind(client_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let mut position = first;
    while position < first + rows {
        let mut sql = String::from(
            "INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, data, \
             is_deleted, sync_version, position, local_updated_at, server_updated_at, created_at) VALUES ",
        );
        for _ in 0..chunk.min(first + rows - position) {
            position += 1;
            if !sql.ends_with("VALUES ") {
                sql.push(',');
            }
            sql.push_str(&format!(
                "({client_id},'invoices','bulk-{position}',{branch_id},{branch_id},\
                 '{{\"total\":{position},\"customer_id\":\"c-{}\",\"note\":\"bulk row\"}}',\
                 0,1,{position},NOW(6),NOW(6),NOW(6))",
                position % 977
            ));
        }
        sqlx::query(&sql).execute(&db.pool).await.unwrap();
    }
    sqlx::query("UPDATE change_counters SET last_position = ? WHERE client_id = ?")
        .bind(first + rows)
        .bind(client_id)
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::main]
async fn main() {
    let db = TestDb::migrated().await;
    let config = ingest_app::config(&db);
    let ingest = ServiceProcess::start("ingest", &service_env(&config, &db.url)).await;
    let keys = shared::token::TokenKeys::new(&config.jwt).unwrap();
    let http = reqwest::Client::new();
    let pool = &db.pool;
    let client_id = ingest::accounts::create_client(pool, "bench")
        .await
        .unwrap();
    let branch_id = ingest::accounts::create_branch(pool, client_id, "b")
        .await
        .unwrap();
    let principal = shared::token::Principal {
        user_id: 1,
        client_id,
        branch_id,
        role: Role::Cashier,
    };
    let token = keys.issue(&principal);

    let mut push_times = Vec::new();
    for n in 0..PUSHES {
        let started = Instant::now();
        let response = http
            .post(format!("{}/api/sync/batch-push", ingest.base))
            .bearer_auth(&token)
            .json(&batch(n))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        push_times.push(started.elapsed());
    }
    report("push 50 records", push_times);

    report("floor: raw 50-row insert tx", floor(&db).await);

    let mut pull_times = Vec::new();
    for _ in 0..PULLS {
        let started = Instant::now();
        let response = http
            .get(format!("{}/api/sync/pull-changes?limit=100", ingest.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["changes"].as_array().unwrap().len(), 100);
        pull_times.push(started.elapsed());
    }
    report("pull 100 records", pull_times);

    let started = Instant::now();
    bulk_insert(&db, client_id, branch_id, BIG_PULL_ROWS).await;
    println!(
        "inserted {BIG_PULL_ROWS} rows directly in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for query in ["tables=invoices", "tables="] {
        big_pull(&http, &ingest, &token, query).await;
    }
}

/// Streams one pull of every bulk row, sampling the server's resident memory meanwhile.
async fn big_pull(http: &reqwest::Client, ingest: &ServiceProcess, token: &str, query: &str) {
    let base = &ingest.base;
    let before = ingest.memory_kib("VmRSS:");
    let started = Instant::now();
    let response = http
        .get(format!(
            "{base}/api/sync/pull-changes?limit={BIG_PULL_ROWS}&{query}"
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let (mut bytes, mut peak, mut samples) = (0usize, before, 0u64);
    let mut last_sample = Instant::now();
    let mut tail = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        bytes += chunk.len();
        tail = chunk.to_vec();
        if last_sample.elapsed() > Duration::from_millis(50) {
            peak = peak.max(ingest.memory_kib("VmRSS:"));
            samples += 1;
            last_sample = Instant::now();
        }
    }
    let elapsed = started.elapsed();
    let tail = String::from_utf8_lossy(&tail[tail.len().saturating_sub(120)..]).into_owned();
    println!(
        "pull {BIG_PULL_ROWS} rows ({query}): {:.1} MB in {:.1} s ({:.0} rows/s); ingest RSS before {} KiB, peak while streaming {} KiB ({samples} samples), high-water mark {} KiB",
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        BIG_PULL_ROWS as f64 / elapsed.as_secs_f64(),
        before,
        peak,
        ingest.memory_kib("VmHWM:")
    );
    println!("end of the response: ...{tail}");
}
