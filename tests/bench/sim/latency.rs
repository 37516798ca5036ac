//! Round trips one at a time: push of 50 records (new, updates of existing stock rows by
//! value, increments of them), pull of 100, and the database floor.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::report::Latency;
use crate::Bench;

/// A 50-record batch of new products, ids prefixed by `tag`.
pub fn batch(device: &str, tag: &str) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    let records: Vec<Value> = (0..50)
        .map(|i| json!({"table_name": "products", "record_id": format!("{tag}-{i}"),
                        "data": {"name": format!("Product {tag}-{i}"), "price": i, "barcode": "4006381333931"},
                        "local_updated_at": now}))
        .collect();
    json!({"device_id": device, "records": records})
}

/// `samples` pushes of 50 new records, one after the other.
pub async fn push(bench: &Bench, token: &str, samples: usize) -> Latency {
    timed_pushes(bench, token, samples, |n| {
        batch("bench-till", &format!("b{n}"))
    })
    .await
}

/// 50 edits of the stock rows `stock-0` … `stock-49`: by value, or as increments (`n`
/// makes the edit ids unique).
fn stock_batch(n: usize, increments: bool) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    let records: Vec<Value> = (0..50)
        .map(|i| {
            let mut record = json!({"table_name": "product_stock", "record_id": format!("stock-{i}"),
                                    "local_updated_at": now});
            if increments {
                record["increments"] = json!({"quantity": -1});
                record["edit_id"] = json!(format!("sale-{n}-{i}"));
            } else {
                record["data"] = json!({"product_id": format!("p{i}"), "quantity": 1_000_000 - n});
            }
            record
        })
        .collect();
    let device = if increments {
        "bench-seller"
    } else {
        "bench-counter"
    };
    json!({"device_id": device, "records": records})
}

/// `samples` pushes of 50 edits of 50 existing stock rows, by value or as increments; the
/// rows are made first.
pub async fn push_stock(bench: &Bench, token: &str, samples: usize, increments: bool) -> Latency {
    let mut rows = stock_batch(0, false);
    rows["device_id"] = stock_batch(0, increments)["device_id"].clone();
    timed_pushes(bench, token, 1, |_| rows.clone()).await;
    timed_pushes(bench, token, samples, |n| stock_batch(n + 1, increments)).await
}

async fn timed_pushes(
    bench: &Bench,
    token: &str,
    samples: usize,
    body: impl Fn(usize) -> Value,
) -> Latency {
    let mut times = Vec::with_capacity(samples);
    for n in 0..samples {
        let body = body(n);
        let started = Instant::now();
        let response = bench
            .http
            .post(format!("{}/api/sync/batch-push", bench.ingest.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "push refused");
        let answer: Value = response.json().await.unwrap();
        times.push(started.elapsed());
        assert_eq!(answer["synced_count"], 50, "{answer}");
    }
    Latency::of(times)
}

/// `samples` pulls of the first 100 changes (needs at least 100 in scope).
pub async fn pull(bench: &Bench, token: &str, samples: usize) -> Latency {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let response = bench
            .http
            .get(format!(
                "{}/api/sync/pull-changes?limit=100",
                bench.ingest.base
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["changes"].as_array().map(Vec::len), Some(100));
        times.push(started.elapsed());
    }
    Latency::of(times)
}

/// The floor's statement: 50 rows of the size of a pushed product into `floor_probe`.
pub fn floor_insert() -> String {
    let row = r#"('{"name": "Product", "price": 12, "barcode": "4006381333931"}')"#;
    format!(
        "INSERT INTO floor_probe (data) VALUES {}",
        vec![row; 50].join(",")
    )
}

/// The database floor: a transaction inserting 50 rows of the same size, straight to MariaDB.
pub async fn floor(bench: &Bench, samples: usize) -> Latency {
    let pool = &bench.db.pool;
    let sql = floor_insert();
    let mut times: Vec<Duration> = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        times.push(started.elapsed());
    }
    Latency::of(times)
}
