//! Sustained write load: writers push 50-record batches back to back over HTTP for a fixed
//! time, each a device of its own shop, or all tills of one busy shop.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::latency::{batch, floor_insert};
use crate::report::{spinner, Throughput};
use crate::Bench;

/// Whose tills the writers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shops {
    /// Each writer a device of its own shop.
    Many,
    /// Every writer a till of one shop (one client, one branch).
    One,
}

/// Runs `writers` writers for `seconds` and counts the records the server accepted.
pub async fn sustained(bench: &Bench, writers: usize, seconds: f64, shops: Shops) -> Throughput {
    let mut tokens = Vec::with_capacity(writers);
    let busy_shop = match shops {
        Shops::One => Some(bench.tenant("load-one-shop").await.2),
        Shops::Many => None,
    };
    for w in 0..writers {
        match &busy_shop {
            Some(token) => tokens.push(token.clone()),
            None => tokens.push(bench.tenant(&format!("load-{w}")).await.2),
        }
    }
    let device = move |w: usize| match shops {
        Shops::One => format!("load-one-{w}"),
        Shops::Many => format!("load-{w}"),
    };
    let progress = spinner("records accepted");
    let before = write_times(bench).await;
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let tasks = tokens.into_iter().enumerate().map(|(w, token)| {
        let (http, url) = (
            bench.http.clone(),
            format!("{}/api/sync/batch-push", bench.ingest.base),
        );
        let progress = progress.clone();
        tokio::spawn(async move {
            let mut accepted = 0u64;
            let mut n = 0;
            while Instant::now() < until {
                let body =
                    serde_json::to_vec(&batch(&device(w), &format!("{}-{n}", device(w)))).unwrap();
                n += 1;
                let response = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "push refused");
                let report: serde_json::Value = response.json().await.unwrap();
                let synced = report["synced_count"].as_u64().unwrap_or(0);
                progress.inc(synced);
                accepted += synced;
            }
            accepted
        })
    });
    let mut throughput = collect(writers, started, tasks).await;
    progress.finish_and_clear();
    let after = write_times(bench).await;
    let mean = |name: &str| {
        let (sum, count) = (
            after[name].0 - before[name].0,
            after[name].1 - before[name].1,
        );
        (count > 0.0).then(|| 1000.0 * sum / count)
    };
    throughput.write_ms = mean("possync_write_seconds");
    throughput.counter_held_ms = mean("possync_write_counter_held_seconds");
    throughput
}

/// Sum and count of ingest's write-time summaries, from its `/metrics`.
async fn write_times(bench: &Bench) -> HashMap<&'static str, (f64, f64)> {
    let text = bench
        .http
        .get(format!("{}/metrics", bench.ingest.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |line: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(line)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    [
        "possync_write_seconds",
        "possync_write_counter_held_seconds",
    ]
    .into_iter()
    .map(|name| {
        (
            name,
            (
                value(&format!("{name}_sum ")),
                value(&format!("{name}_count ")),
            ),
        )
    })
    .collect()
}

/// The floor of the same load: `writers` connections inserting 50 rows per transaction
/// straight into MariaDB for `seconds`.
pub async fn floor(bench: &Bench, writers: usize, seconds: f64) -> Throughput {
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let tasks = (0..writers).map(|_| {
        let pool = bench.db.pool.clone();
        tokio::spawn(async move {
            let sql = floor_insert();
            let mut records = 0u64;
            while Instant::now() < until {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query(&sql).execute(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
                records += 50;
            }
            records
        })
    });
    collect(writers, started, tasks).await
}

/// Sums what the writer tasks counted into records per second since `started`.
async fn collect(
    writers: usize,
    started: Instant,
    tasks: impl Iterator<Item = tokio::task::JoinHandle<u64>>,
) -> Throughput {
    let mut records = 0;
    for task in futures::future::join_all(tasks).await {
        records += task.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    Throughput {
        writers,
        seconds: elapsed,
        records,
        records_per_second: records as f64 / elapsed,
        write_ms: None,
        counter_held_ms: None,
    }
}
