//! One step of fanout under load: pushes of small invoice batches through ingest's
//! batch-push at a fixed offered rate, spread over the rooms, then a wait for the last
//! deliveries; its figures are the deliveries' latencies and rate, and the pushes'.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fanout_devices::{Room, Sent, Tally};
use crate::report::{FanoutStep, Latency};
use crate::Bench;

/// Invoices per push: small batches, as tills send them.
pub const RECORDS_PER_PUSH: usize = 10;
/// The delivery p99 a step must keep.
pub const P99_LIMIT_MS: f64 = 100.0;
/// How long a step's last deliveries are waited for before they count as missing.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(2);
/// Concurrent pushers, each sending its share of a step's pushes on schedule.
const PUSHERS: usize = 32;

/// What the steps share: the rooms, the pending records and the devices' tally.
pub struct Load<'a> {
    pub bench: &'a Bench,
    pub rooms: Arc<Vec<Room>>,
    pub sent: Sent,
    pub tally: Arc<Tally>,
}

/// Step `number`: pushes at `rate` records/s for `seconds`, then waits for the deliveries
/// the accepted records owe (up to `SETTLE_LIMIT`).
pub async fn run(load: &Load<'_>, number: u32, rate: f64, seconds: f64) -> FanoutStep {
    load.tally.delivered.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let pushers = (0..PUSHERS).map(|first| {
        let share = Share {
            http: load.bench.http.clone(),
            url: format!("{}/api/sync/batch-push", load.bench.ingest.base),
            rooms: load.rooms.clone(),
            sent: load.sent.clone(),
            step: number,
            first,
            interval: Duration::from_secs_f64(RECORDS_PER_PUSH as f64 / rate),
            started,
            until: started + Duration::from_secs_f64(seconds),
        };
        tokio::spawn(share.push())
    });
    let mut pushed = Pushed::default();
    for share in futures::future::join_all(pushers).await {
        pushed.add(share.unwrap());
    }
    let sending = started.elapsed().as_secs_f64();
    let settling = Instant::now();
    while load.tally.delivered.load(Ordering::Relaxed) < pushed.owed
        && settling.elapsed() < SETTLE_LIMIT
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let span = started.elapsed().as_secs_f64();
    load.sent.write().expect("sent lock").clear();
    let latencies = load.tally.take_latencies(number);
    let deliveries = latencies.len() as u64;
    let latency = (!latencies.is_empty()).then(|| Latency::of(latencies));
    let within_limit = pushed.failed_pushes == 0
        && deliveries >= pushed.owed
        && latency.as_ref().is_some_and(|l| l.p99_ms <= P99_LIMIT_MS);
    FanoutStep {
        step: number,
        offered_records_per_second: rate,
        sent_records_per_second: pushed.records as f64 / sending,
        failed_pushes: pushed.failed_pushes,
        push_latency: (!pushed.times.is_empty()).then(|| Latency::of(pushed.times)),
        deliveries,
        missing_deliveries: pushed.owed.saturating_sub(deliveries),
        deliveries_per_second: deliveries as f64 / span,
        latency,
        within_limit,
        seconds: span,
    }
}

/// What pushers did.
#[derive(Default)]
struct Pushed {
    records: u64,
    failed_pushes: u64,
    /// Deliveries the accepted records owe: each to every member of its room.
    owed: u64,
    /// Each push's round trip.
    times: Vec<Duration>,
}

impl Pushed {
    fn add(&mut self, other: Pushed) {
        self.records += other.records;
        self.failed_pushes += other.failed_pushes;
        self.owed += other.owed;
        self.times.extend(other.times);
    }
}

/// One pusher's share of a step: pushes `first`, `first + PUSHERS`, … each at its time
/// (`started + k × interval`), to room `k % rooms`; a pusher behind schedule sends at once,
/// and stops at `until` whatever it has left.
struct Share {
    http: reqwest::Client,
    url: String,
    rooms: Arc<Vec<Room>>,
    sent: Sent,
    step: u32,
    first: usize,
    interval: Duration,
    started: Instant,
    until: Instant,
}

impl Share {
    async fn push(self) -> Pushed {
        let mut pushed = Pushed::default();
        for k in (self.first..).step_by(PUSHERS) {
            let at = self.started + self.interval.mul_f64(k as f64);
            if at >= self.until {
                break;
            }
            tokio::time::sleep_until(at.into()).await;
            if Instant::now() >= self.until {
                break;
            }
            let room = &self.rooms[k % self.rooms.len()];
            let ids: Vec<String> = (0..RECORDS_PER_PUSH)
                .map(|i| format!("fl{}-{k}-{i}", self.step))
                .collect();
            let body = invoices(&room.pusher, &ids);
            let now = Instant::now();
            self.sent
                .write()
                .expect("sent lock")
                .extend(ids.into_iter().map(|id| (id, (now, self.step))));
            let request = self
                .http
                .post(&self.url)
                .bearer_auth(&room.token)
                .json(&body);
            let accepted = match request.send().await {
                Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                Err(_) => false,
            };
            pushed.times.push(now.elapsed());
            pushed.records += RECORDS_PER_PUSH as u64;
            if accepted {
                pushed.owed += RECORDS_PER_PUSH as u64 * room.members;
            } else {
                pushed.failed_pushes += 1;
            }
        }
        pushed
    }
}

/// A push of new invoices `ids` from device `device`.
fn invoices(device: &str, ids: &[String]) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    let records: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"table_name": "invoices", "record_id": id, "data": {"total": i}, "local_updated_at": now}))
        .collect();
    json!({"device_id": device, "records": records})
}
