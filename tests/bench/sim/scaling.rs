//! The figures of how possync scales on this machine: sustained throughput against the
//! number of writers, and fanout's deliveries under rising pushes; with their table rows.

use serde::Serialize;

use crate::fanout_step::P99_LIMIT_MS;
use crate::report::Latency;

/// Records per second of both sustained shapes at each writer count.
#[derive(Debug, Clone, Serialize)]
pub struct WriterSweep {
    pub step_seconds: f64,
    pub points: Vec<WriterCount>,
    /// How long the sweep took (the main writer count's runs are reused, not repeated).
    pub phase_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WriterCount {
    pub writers: usize,
    /// Each writer a device of its own shop.
    pub shop_per_writer_records_per_second: f64,
    /// Every writer a till of one shop.
    pub one_shop_records_per_second: f64,
    pub seconds: f64,
}

/// Devices in many rooms on one fanout replica under rising pushes.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutLoad {
    pub devices: usize,
    pub rooms: usize,
    pub records_per_push: usize,
    pub step_seconds: f64,
    /// Deliveries per second of the busiest step that kept the delivery p99 within 100 ms
    /// (and lost nothing).
    pub deliveries_per_second_at_p99_limit: Option<f64>,
    pub stopped_because: String,
    pub steps: Vec<FanoutStep>,
    /// Resync requests and disconnects the devices saw: 0 unless something went wrong.
    pub resyncs: u64,
    pub disconnects: u64,
    /// Messages that were no delivery of a pending record (e.g. a closed step's stragglers).
    pub unmatched_messages: u64,
    pub fanout_rss_before_kib: u64,
    pub fanout_rss_connected_kib: u64,
    pub fanout_rss_after_load_kib: u64,
    pub bytes_per_connection: f64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FanoutStep {
    pub step: u32,
    pub offered_records_per_second: f64,
    /// Records pushed per second (accepted or not) in the step's time.
    pub sent_records_per_second: f64,
    pub failed_pushes: u64,
    /// Round trips of the step's pushes (part of each delivery's latency).
    pub push_latency: Option<Latency>,
    pub deliveries: u64,
    /// Deliveries owed by accepted pushes that had not arrived when the step closed.
    pub missing_deliveries: u64,
    /// Deliveries over the step, from its first push until its last delivery.
    pub deliveries_per_second: f64,
    /// From a push's send to each device's receipt of the change.
    pub latency: Option<Latency>,
    /// p99 within 100 ms, nothing missing, no push refused.
    pub within_limit: bool,
    pub seconds: f64,
}

impl WriterSweep {
    /// A row per writer count.
    pub fn rows(&self) -> Vec<String> {
        self.points
            .iter()
            .map(|p| {
                format!(
                    "| sustained against writers: {} writer{}, a shop each / tills of one shop ({:.1} s each) | {:.0} / {:.0} records/s (one shop {:.0} %) | | |",
                    p.writers,
                    if p.writers == 1 { "" } else { "s" },
                    p.seconds,
                    p.shop_per_writer_records_per_second,
                    p.one_shop_records_per_second,
                    100.0 * p.one_shop_records_per_second / p.shop_per_writer_records_per_second
                )
            })
            .collect()
    }
}

impl FanoutLoad {
    /// The result, a row per step, and the memory.
    pub fn rows(&self) -> Vec<String> {
        let best = self
            .deliveries_per_second_at_p99_limit
            .map_or("no step".to_owned(), |d| format!("{d:.0} deliveries/s"));
        let mut rows = vec![format!(
            "| fanout under load: {} devices in {} rooms on one replica, pushes of {} invoices rising in steps of {:.1} s | {best} at p99 ≤ {P99_LIMIT_MS} ms; last step because {}; {} resyncs, {} disconnects, {} unmatched messages ({:.1} s in all) | | p99 ≤ {P99_LIMIT_MS} ms |",
            self.devices, self.rooms, self.records_per_push, self.step_seconds, self.stopped_because,
            self.resyncs, self.disconnects, self.unmatched_messages, self.seconds
        )];
        for s in &self.steps {
            let latency = s.latency.as_ref().map_or("none delivered".to_owned(), |l| {
                format!(
                    "p50 / p99 / max {:.1} / {:.1} / {:.1} ms",
                    l.p50_ms, l.p99_ms, l.max_ms
                )
            });
            rows.push(format!(
                "| fanout step {}: {:.0} records/s offered ({:.0} sent, push p99 {:.1} ms, {} refused) | {:.0} deliveries/s; {latency}; {} missing{} | | |",
                s.step, s.offered_records_per_second, s.sent_records_per_second,
                s.push_latency.as_ref().map_or(f64::NAN, |l| l.p99_ms), s.failed_pushes,
                s.deliveries_per_second, s.missing_deliveries,
                if s.within_limit { "" } else { "; over the limit" }
            ));
        }
        rows.push(format!(
            "| fanout memory with {} devices connected | {:.0} bytes a connection (RSS {} → {} KiB; {} KiB after the load) | | |",
            self.devices, self.bytes_per_connection, self.fanout_rss_before_kib,
            self.fanout_rss_connected_kib, self.fanout_rss_after_load_kib
        ));
        rows
    }
}
