//! Sustained write load: writers push 50-record batches back to back over HTTP for a fixed
//! time, each a device of its own shop, or all tills of one busy shop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::latency::{batch, floor_insert};
use crate::report::{spinner, Latency, Throughput};
use crate::Bench;

/// Runs so far: each run's writers are new devices, since a device id stays bound to the
/// shop that used it first.
static RUNS: AtomicUsize = AtomicUsize::new(0);

/// A sustained run's figures, and the round trip of each of its pushes.
pub struct Sustained {
    pub throughput: Throughput,
    pub push_times: Vec<Duration>,
}

/// Whose tills the writers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shops {
    /// Each writer a device of its own shop.
    Many,
    /// Every writer a till of one shop (one client, one branch).
    One,
}

/// Runs `writers` writers for `seconds`, counts the records the server accepted and keeps
/// each push's round trip.
pub async fn sustained(bench: &Bench, writers: usize, seconds: f64, shops: Shops) -> Sustained {
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let mut tokens = Vec::with_capacity(writers);
    let busy_shop = match shops {
        Shops::One => Some(bench.tenant(&format!("load-one-shop-r{run}")).await.2),
        Shops::Many => None,
    };
    for w in 0..writers {
        match &busy_shop {
            Some(token) => tokens.push(token.clone()),
            None => tokens.push(bench.tenant(&format!("load-r{run}-{w}")).await.2),
        }
    }
    let device = move |w: usize| match shops {
        Shops::One => format!("load-one-r{run}-{w}"),
        Shops::Many => format!("load-r{run}-{w}"),
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
            let mut push_times = Vec::new();
            let mut n = 0;
            while Instant::now() < until {
                let body =
                    serde_json::to_vec(&batch(&device(w), &format!("{}-{n}", device(w)))).unwrap();
                n += 1;
                let sent = Instant::now();
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
                push_times.push(sent.elapsed());
                let synced = report["synced_count"].as_u64().unwrap_or(0);
                progress.inc(synced);
                accepted += synced;
            }
            (accepted, push_times)
        })
    });
    let (mut throughput, push_times) = collect(writers, started, tasks).await;
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
    throughput.push_latency = (!push_times.is_empty()).then(|| Latency::of(push_times.clone()));
    Sustained {
        throughput,
        push_times,
    }
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
            (records, Vec::new())
        })
    });
    collect(writers, started, tasks).await.0
}

/// Sums what the writer tasks counted into records per second since `started`, and joins
/// the round trips they timed.
async fn collect(
    writers: usize,
    started: Instant,
    tasks: impl Iterator<Item = tokio::task::JoinHandle<(u64, Vec<Duration>)>>,
) -> (Throughput, Vec<Duration>) {
    let (mut records, mut times) = (0, Vec::new());
    for task in futures::future::join_all(tasks).await {
        let (accepted, push_times) = task.unwrap();
        records += accepted;
        times.extend(push_times);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let throughput = Throughput {
        writers,
        seconds: elapsed,
        records,
        records_per_second: records as f64 / elapsed,
        write_ms: None,
        counter_held_ms: None,
        push_latency: None,
    };
    (throughput, times)
}
