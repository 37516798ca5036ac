//! What each fault cost: how long writes were refused, the longest time a device went
//! without an event, and how the devices a fault disconnected came back.

use serde::Serialize;

use crate::faults::Injected;
use crate::probe::Attempt;
use crate::watchers::Watched;

/// The figures of one injected fault; times in ms.
#[derive(Debug, Serialize)]
pub struct FaultReport {
    pub fault: &'static str,
    pub target: String,
    /// From the first refused (or timed-out) probe write to the next acknowledged one.
    pub write_unavailable_ms: f64,
    pub refused_writes: usize,
    /// The slowest acknowledged probe write around the fault.
    pub slowest_write_ms: f64,
    /// The longest time without an event from the fault to the next one (or the end of the
    /// load), on the worst device and on the median one, of the devices connected when it
    /// began.
    pub delivery_gap_max_ms: f64,
    pub delivery_gap_median_ms: f64,
    /// The worst device's connections from the fault to the next one, in ms after the
    /// fault: drops (with their close code), attempts refused (with the status answered, 0
    /// for none) and connections.
    pub worst_device: String,
    /// Devices whose connection the fault ended, and how many came back.
    pub disconnected: usize,
    /// The close codes of those connections (0: lost without a close frame), with counts.
    pub close_codes: std::collections::BTreeMap<u16, usize>,
    pub reconnected: usize,
    /// From a device's drop to its next connection: median, 99th percentile, last.
    pub reconnect_p50_ms: f64,
    pub reconnect_p99_ms: f64,
    pub reconnect_max_ms: f64,
    /// Most reconnections in any 100 ms.
    pub reconnect_peak_per_100ms: usize,
    /// From the fault to the next one: events received twice on one connection, events a
    /// device received again on a later connection, and numbers missing on connections that
    /// ended (a device pulls those).
    pub duplicates: usize,
    pub repeated: usize,
    pub missed: u64,
    /// Alerts pending or firing from the fault to the next one (`alerts::during`).
    pub alerts: Vec<String>,
    /// Services that reconnected away from a NATS node they found cut from the others
    /// (`alerts::forced_reconnects`), from the fault to the next one.
    pub forced_reconnects: Vec<String>,
}

/// A quantile of `values` (sorted in place); 0 when empty.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

/// The figures of `fault`, whose effects are counted until `until` (the next fault).
pub fn of(fault: &Injected, until: f64, attempts: &[Attempt], watchers: &[Watched]) -> FaultReport {
    let end = fault
        .writes_back
        .unwrap_or(fault.undone + 60.0)
        .max(fault.undone)
        + 1.0;
    let around: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| a.sent >= fault.at - 0.5 && a.sent <= end)
        .collect();
    let refused: Vec<&&Attempt> = around.iter().filter(|a| !a.ok).collect();
    let write_unavailable_ms = match (refused.first(), refused.last()) {
        (Some(first), Some(last)) => {
            let back = attempts
                .iter()
                .find(|a| a.ok && a.sent > last.sent)
                .map_or(end, |a| a.answered);
            (back - first.sent) * 1000.0
        }
        _ => 0.0,
    };
    let slowest_write_ms = around
        .iter()
        .filter(|a| a.ok)
        .map(|a| (a.answered - a.sent) * 1000.0)
        .fold(0.0, f64::max);

    let gapped: Vec<(f64, &Watched)> = watchers
        .iter()
        .filter_map(|w| {
            let since = connected_since(w, fault.at)?;
            Some((longest_gap(&w.arrivals, since, fault.at, until) * 1000.0, w))
        })
        .collect();
    let worst_device = gapped
        .iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(String::new, |(_, w)| story(w, fault.at, until));
    let mut gaps: Vec<f64> = gapped.iter().map(|(gap, _)| *gap).collect();
    let mut reconnects = Vec::new();
    let mut disconnected = 0;
    let mut close_codes = std::collections::BTreeMap::new();
    for watcher in watchers {
        let Some(index) = watcher
            .dropped
            .iter()
            .position(|t| *t >= fault.at && *t <= fault.undone + 1.0)
        else {
            continue;
        };
        let drop = &watcher.dropped[index];
        disconnected += 1;
        *close_codes.entry(watcher.close_codes[index]).or_insert(0) += 1;
        if let Some(back) = watcher.connected.iter().find(|t| *t > drop) {
            reconnects.push((*drop, *back));
        }
    }
    let mut delays: Vec<f64> = reconnects.iter().map(|(d, b)| (b - d) * 1000.0).collect();
    let mut times: Vec<f64> = reconnects.iter().map(|(_, b)| *b).collect();
    times.sort_by(f64::total_cmp);
    let reconnect_peak_per_100ms = times
        .iter()
        .enumerate()
        .map(|(i, t)| times[i..].iter().take_while(|u| **u < t + 0.1).count())
        .max()
        .unwrap_or(0);
    FaultReport {
        fault: fault.fault,
        target: fault.target.clone(),
        write_unavailable_ms,
        refused_writes: refused.len(),
        slowest_write_ms,
        delivery_gap_max_ms: gaps.iter().copied().fold(0.0, f64::max),
        delivery_gap_median_ms: quantile(&mut gaps, 0.5),
        worst_device,
        disconnected,
        close_codes,
        reconnected: reconnects.len(),
        reconnect_p50_ms: quantile(&mut delays, 0.5),
        reconnect_p99_ms: quantile(&mut delays, 0.99),
        reconnect_max_ms: delays.iter().copied().fold(0.0, f64::max),
        reconnect_peak_per_100ms,
        duplicates: count_within(watchers.iter().flat_map(|w| &w.duplicates), fault.at, until),
        repeated: count_within(watchers.iter().flat_map(|w| &w.repeated), fault.at, until),
        missed: watchers
            .iter()
            .flat_map(|w| &w.missed)
            .filter(|(t, _)| (fault.at..until).contains(t))
            .map(|(_, n)| n)
            .sum(),
        alerts: Vec::new(),
        forced_reconnects: Vec::new(),
    }
}

/// What happened to `watcher`'s connections within [`from`, `until`), in ms after `from`.
fn story(watcher: &Watched, from: f64, until: f64) -> String {
    let within = |t: f64| (from..until).contains(&t);
    let ms = |t: f64| (t - from) * 1000.0;
    let mut steps: Vec<(f64, String)> = Vec::new();
    for (t, code) in watcher.dropped.iter().zip(&watcher.close_codes) {
        if within(*t) {
            steps.push((*t, format!("dropped +{:.0} ({code})", ms(*t))));
        }
    }
    for (t, status) in &watcher.refused {
        if within(*t) {
            steps.push((*t, format!("refused +{:.0} ({status})", ms(*t))));
        }
    }
    for t in watcher.connected.iter().filter(|t| within(**t)) {
        steps.push((*t, format!("connected +{:.0}", ms(*t))));
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    steps
        .into_iter()
        .map(|(_, step)| step)
        .collect::<Vec<_>>()
        .join(", ")
}

fn count_within<'a>(times: impl Iterator<Item = &'a f64>, from: f64, until: f64) -> usize {
    times.filter(|t| (from..until).contains(*t)).count()
}

/// Since when the watcher held the connection it had at `moment`; `None` when it had none
/// (one still coming back from an earlier fault is left out of this one's gaps).
fn connected_since(watcher: &Watched, moment: f64) -> Option<f64> {
    let last = |times: &[f64]| times.iter().rev().find(|t| **t < moment).copied();
    let connected = last(&watcher.connected)?;
    last(&watcher.dropped)
        .is_none_or(|dropped| connected > dropped)
        .then_some(connected)
}

/// The longest stretch without an arrival within [`from`, `to`] (in seconds), counting
/// from the last arrival before `from`, or from `since` (the connection's start) if later.
fn longest_gap(arrivals: &[f64], since: f64, from: f64, to: f64) -> f64 {
    let start = arrivals.partition_point(|t| *t < from);
    let end = arrivals.partition_point(|t| *t <= to);
    let mut last = start
        .checked_sub(1)
        .map_or(from, |i| arrivals[i])
        .max(since.min(from));
    let mut longest: f64 = 0.0;
    for t in &arrivals[start..end] {
        longest = longest.max(t - last);
        last = *t;
    }
    longest.max(to - last)
}

pub fn print(reports: &[FaultReport]) {
    eprintln!(
        "\n{:<22} {:<22} {:>9} {:>7} {:>9} {:>10} {:>10} {:>6} {:>6} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>7}",
        "fault", "target", "unavail", "refused", "slowest", "gap max", "gap p50",
        "drops", "back", "re p50", "re p99", "re max", "peak", "twice", "again", "missed"
    );
    for r in reports {
        eprintln!(
            "{:<22} {:<22} {:>7.0}ms {:>7} {:>7.0}ms {:>8.0}ms {:>8.0}ms {:>6} {:>6} {:>6.0}ms {:>6.0}ms {:>6.0}ms {:>6} {:>6} {:>6} {:>7}",
            r.fault, r.target, r.write_unavailable_ms, r.refused_writes, r.slowest_write_ms,
            r.delivery_gap_max_ms, r.delivery_gap_median_ms, r.disconnected, r.reconnected,
            r.reconnect_p50_ms, r.reconnect_p99_ms, r.reconnect_max_ms, r.reconnect_peak_per_100ms,
            r.duplicates, r.repeated, r.missed
        );
        if !r.alerts.is_empty() {
            eprintln!("{:<45} alerts: {}", "", r.alerts.join(", "));
        }
        if !r.forced_reconnects.is_empty() {
            let forced = r.forced_reconnects.join(", ");
            eprintln!("{:<45} forced NATS reconnects: {forced}", "");
        }
        if !r.worst_device.is_empty() {
            eprintln!("{:<45} the worst device: {}", "", r.worst_device);
        }
        if !r.close_codes.is_empty() {
            eprintln!(
                "{:<45} close codes of the dropped connections: {:?}",
                "", r.close_codes
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_gap_counts_from_the_last_arrival_or_connection_before_the_window_to_its_end() {
        let arrivals = [1.0, 1.2, 1.4, 3.0, 3.1];

        assert!((longest_gap(&arrivals, 0.0, 1.5, 3.2) - 1.6).abs() < 1e-9);
        assert!(
            (longest_gap(&arrivals, 0.0, 1.5, 2.0) - 0.6).abs() < 1e-9,
            "up to the window's end"
        );
        assert!((longest_gap(&arrivals, 0.0, 3.05, 4.0) - 0.9).abs() < 1e-9);
        assert!((longest_gap(&[], 0.0, 0.0, 2.0) - 2.0).abs() < 1e-9);
        assert!(
            (longest_gap(&arrivals, 2.9, 2.95, 3.2) - 0.1).abs() < 1e-9,
            "from the connection's start"
        );
    }
}
