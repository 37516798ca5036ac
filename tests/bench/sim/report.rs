//! The figures of one run, printed as a table beside the note's figures and as JSON.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

pub use crate::first_sync::FirstSync;
pub use crate::page_cost::PageCost;
pub use crate::scaling::{FanoutLoad, FanoutStep, WriterCount, WriterSweep};
pub use crate::stream_memory::StreamMemory;

/// A spinner on stderr counting `what` with its rate, for the phases that run for a while.
pub fn spinner(what: &str) -> ProgressBar {
    let progress = ProgressBar::new_spinner();
    let template = format!("{{spinner}} {{elapsed}} {{pos}} {what} ({{per_sec}})");
    progress.set_style(ProgressStyle::with_template(&template).expect("a valid template"));
    progress.enable_steady_tick(Duration::from_millis(200));
    progress
}

/// Percentiles of a latency sample, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub n: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(mut times: Vec<Duration>) -> Latency {
        times.sort();
        let at = |p: f64| {
            let index = ((times.len() as f64 - 1.0) * p).round() as usize;
            times[index].as_secs_f64() * 1000.0
        };
        Latency {
            n: times.len(),
            p50_ms: at(0.5),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }
}

/// Records accepted per second over a fixed duration.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub writers: usize,
    pub seconds: f64,
    pub records: u64,
    pub records_per_second: f64,
    /// Mean time of ingest's write transactions in the phase, and of the part that holds
    /// the client's counter row (serialised for one client), from ingest's `/metrics`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter_held_ms: Option<f64>,
    /// Round trips of the writers' pushes under the load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_latency: Option<Latency>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fleet {
    pub devices: usize,
    pub clients: usize,
    pub throughput: Throughput,
    pub converged_devices: usize,
    /// Stock rows sold from, and those not at their start minus all sold everywhere.
    pub stock_rows: usize,
    pub stock_rows_wrong: usize,
    pub ingest_rss_kib: u64,
    pub fanout_rss_kib: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdleConnections {
    pub connections: usize,
    pub fanout_rss_before_kib: u64,
    pub fanout_rss_after_kib: u64,
    pub bytes_per_connection: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BigPull {
    pub rows: u64,
    pub megabytes: f64,
    pub seconds: f64,
    pub ingest_rss_before_kib: u64,
    pub ingest_rss_peak_kib: u64,
}

/// Everything one run measured; a phase that was skipped stays `None`.
#[derive(Debug, Default, Serialize)]
pub struct Figures {
    pub push_50: Option<Latency>,
    pub push_50_stock_by_value: Option<Latency>,
    pub push_50_increments: Option<Latency>,
    pub floor_insert_50: Option<Latency>,
    pub pull_100: Option<Latency>,
    pub push_to_device: Option<Latency>,
    pub sustained_http: Option<Throughput>,
    pub sustained_one_client: Option<Throughput>,
    pub floor_sustained: Option<Throughput>,
    pub writer_sweep: Option<WriterSweep>,
    pub fanout_load: Option<FanoutLoad>,
    pub fleet: Option<Fleet>,
    pub idle_connections: Option<IdleConnections>,
    pub big_pull: Option<BigPull>,
    pub page_cost: Vec<PageCost>,
    pub first_sync: Option<FirstSync>,
    pub stream_memory: Option<StreamMemory>,
}

impl Figures {
    /// The table of BENCHMARKS.md: measure, this run, the original note, the target here.
    pub fn table(&self) -> String {
        let mut rows = vec![
            "| measure | possync | original note | target here |".to_owned(),
            "|---|---|---|---|".to_owned(),
        ];
        let ms = |l: &Latency| format!("{:.2} / {:.2} / {:.2} ms", l.p50_ms, l.p95_ms, l.p99_ms);
        if let Some(l) = &self.push_50 {
            rows.push(format!(
                "| push of 50 records, p50 / p95 / p99 | {} | ~100 ms | p50 ≤ 5 ms |",
                ms(l)
            ));
        }
        if let Some(l) = &self.push_50_stock_by_value {
            rows.push(format!(
                "| push of 50 stock rows set by value (existing rows), p50 / p95 / p99 | {} | | |",
                ms(l)
            ));
        }
        if let Some(l) = &self.push_50_increments {
            rows.push(format!(
                "| push of 50 stock increments (existing rows, edit ids), p50 / p95 / p99 | {} | | |",
                ms(l)
            ));
        }
        if let Some(l) = &self.floor_insert_50 {
            rows.push(format!(
                "| floor: raw 50-row insert transaction, p50 / p95 / p99 | {} | | |",
                ms(l)
            ));
        }
        if let Some(l) = &self.pull_100 {
            rows.push(format!(
                "| pull of 100 records, p50 / p95 / p99 | {} | ~200 ms | p50 ≤ 5 ms |",
                ms(l)
            ));
        }
        if let Some(l) = &self.push_to_device {
            rows.push(format!("| push → other device over WebSocket, p50 / p95 / p99 | {} | < 50 ms (5 s polling) | p99 ≤ 20 ms |", ms(l)));
        }
        if let Some(t) = &self.sustained_http {
            rows.push(format!(
                "| sustained, {} HTTP writers pushing 50-record batches | {:.0} records/s ({} in {:.1} s) | | ≥ 30,000 records/s |",
                t.writers, t.records_per_second, t.records, t.seconds
            ));
        }
        if let (Some(one), Some(many)) = (&self.sustained_one_client, &self.sustained_http) {
            rows.push(format!(
                "| sustained, {} tills of one shop pushing 50-record batches | {:.0} records/s ({:.0} % of the {} shops above); mean write {:.2} ms, of it {:.2} ms holding the shop's counter (8 shops: {:.2} of {:.2} ms) | | ≥ 90 % of the shops' figure |",
                one.writers, one.records_per_second, 100.0 * one.records_per_second / many.records_per_second, many.writers,
                one.write_ms.unwrap_or(f64::NAN), one.counter_held_ms.unwrap_or(f64::NAN),
                many.counter_held_ms.unwrap_or(f64::NAN), many.write_ms.unwrap_or(f64::NAN)
            ));
        }
        if let Some(t) = &self.floor_sustained {
            rows.push(format!(
                "| floor: {} connections inserting 50 rows per transaction straight into MariaDB | {:.0} records/s | | |",
                t.writers, t.records_per_second
            ));
        }
        rows.extend(self.writer_sweep.iter().flat_map(WriterSweep::rows));
        rows.extend(self.fanout_load.iter().flat_map(FanoutLoad::rows));
        if let Some(f) = &self.fleet {
            rows.push(format!(
                "| simulated devices: {} over {} clients, through the client crate | {:.0} records/s; {} of {} converged; {} of {} stock rows at start minus all sold everywhere; RSS ingest {} KiB, fanout {} KiB | | every device converges, every counter exact |",
                f.devices, f.clients, f.throughput.records_per_second, f.converged_devices, f.devices,
                f.stock_rows - f.stock_rows_wrong, f.stock_rows, f.ingest_rss_kib, f.fanout_rss_kib
            ));
        }
        if let Some(i) = &self.idle_connections {
            rows.push(format!(
                "| idle WebSocket connections on one replica | {} at {:.0} bytes each (RSS {} → {} KiB) | | 10,000 at ≤ 10 KB each |",
                i.connections, i.bytes_per_connection, i.fanout_rss_before_kib, i.fanout_rss_after_kib
            ));
        }
        if let Some(b) = &self.big_pull {
            rows.push(format!(
                "| pull of {} rows in one response | {:.1} MB in {:.1} s; ingest RSS {} → peak {} KiB | | flat memory |",
                b.rows, b.megabytes, b.seconds, b.ingest_rss_before_kib, b.ingest_rss_peak_kib
            ));
        }
        rows.extend(self.page_cost.iter().flat_map(PageCost::rows));
        rows.extend(self.first_sync.iter().flat_map(FirstSync::rows));
        if let Some(m) = &self.stream_memory {
            rows.push(format!(
                "| NATS {} memory per message id in the duplicate window / per subject ({} messages, {} subjects) | {:.0} / {:.0} bytes (RSS {} / {} / {} KiB: no ids, ids, subjects) | | |",
                m.nats_version, m.messages, m.subjects, m.bytes_per_id, m.bytes_per_subject,
                m.rss_plain_kib, m.rss_ids_kib, m.rss_subjects_kib
            ));
        }
        rows.join("\n")
    }
}

impl PageCost {
    fn rows(&self) -> Vec<String> {
        let mut rows: Vec<String> = self.shapes.iter().map(|s| format!(
            "| pull page of 500 in a client of {} records, {}: first / halfway / near the head, p50 | {:.1} / {:.1} / {:.1} ms (deepest ÷ first {:.1}) | | within 3× of the first page |",
            self.records, s.shape, s.first_ms, s.halfway_ms, s.head_ms, s.ratio()
        )).collect();
        rows.extend(self.catch_up.iter().map(|c| format!(
            "| catch-up page of {} changes in a client of {} records, {} | {:.1} MB in {:.2} s | | |",
            c.changes, self.records, c.encoding, c.megabytes, c.seconds
        )));
        rows
    }
}
