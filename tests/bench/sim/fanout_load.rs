//! Fanout under load: many devices in many rooms on the one fanout replica while pushes
//! through ingest rise in steps, until a step's delivery p99 passes 100 ms or the offered
//! rate cannot be reached; two more steps then halve the gap between the last rate that
//! kept the limit and the first that did not. Fanout's memory is read before the devices
//! connect, once they are connected, and after the load.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::fanout_devices::{self, Sent, Tally};
use crate::fanout_step::{self, Load, P99_LIMIT_MS, RECORDS_PER_PUSH, SETTLE_LIMIT};
use crate::report::{FanoutLoad, FanoutStep, Latency};
use crate::Bench;

/// Offered records per second of the first step; each next step offers `GROWTH` times more.
const FIRST_RATE: f64 = 1_000.0;
const GROWTH: f64 = 1.5;
const MAX_RISING_STEPS: u32 = 10;
/// Steps between the last good rate and the first bad one.
const REFINEMENTS: usize = 2;
/// Rest before each refinement step: an over-limit step leaves ingest and MariaDB behind
/// (queued pushes, pages to flush), which would otherwise count against the next step.
const RECOVERY: Duration = Duration::from_secs(2);
/// A step whose pushes fell this far short of the offered rate is the last.
const REACHED: f64 = 0.9;

/// How big the phase is.
pub struct Size {
    pub devices: usize,
    pub rooms: usize,
    pub step_seconds: f64,
}

/// Connects the devices, warms up, runs the steps and reads fanout's memory on the way.
pub async fn run(bench: &Bench, size: &Size) -> FanoutLoad {
    let started = Instant::now();
    let rooms = size.rooms.clamp(1, size.devices);
    let rooms = Arc::new(fanout_devices::rooms(bench, rooms, size.devices).await);
    let rss_before = bench.fanout.memory_kib("VmRSS:");
    let sockets = fanout_devices::connect_all(bench, &rooms, size.devices).await;
    // Lets every room's subscription reach NATS and the memory settle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_connected = bench.fanout.memory_kib("VmRSS:");
    eprintln!(
        "  {} devices in {} rooms connected after {:.1} s; fanout RSS {rss_before} → {rss_connected} KiB",
        size.devices,
        rooms.len(),
        started.elapsed().as_secs_f64()
    );
    let load = Load {
        bench,
        rooms: rooms.clone(),
        sent: Sent::default(),
        tally: Arc::new(Tally::default()),
    };
    let stop = CancellationToken::new();
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|socket| {
            let (sent, tally) = (load.sent.clone(), load.tally.clone());
            tokio::spawn(fanout_devices::read(socket, sent, tally, stop.clone()))
        })
        .collect();
    // A first push to every room, untimed: each pusher's device id gets registered and each
    // shop's rows warm before the steps.
    let warm_up = fanout_step::run(&load, 0, (rooms.len() * RECORDS_PER_PUSH) as f64, 1.0).await;
    load.tally.unmatched.store(0, Ordering::Relaxed);
    eprintln!("  warm-up: {} deliveries", warm_up.deliveries);
    let (steps, stopped_because) = ramp(&load, size.step_seconds).await;
    let rss_after_load = bench.fanout.memory_kib("VmRSS:");
    stop.cancel();
    for reader in readers {
        let _ = reader.await;
    }
    let best = steps
        .iter()
        .filter(|step| step.within_limit)
        .map(|step| step.deliveries_per_second)
        .reduce(f64::max);
    FanoutLoad {
        devices: size.devices,
        rooms: rooms.len(),
        records_per_push: RECORDS_PER_PUSH,
        step_seconds: size.step_seconds,
        deliveries_per_second_at_p99_limit: best,
        stopped_because,
        steps,
        resyncs: load.tally.resyncs.load(Ordering::Relaxed),
        disconnects: load.tally.disconnects.load(Ordering::Relaxed),
        unmatched_messages: load.tally.unmatched.load(Ordering::Relaxed),
        fanout_rss_before_kib: rss_before,
        fanout_rss_connected_kib: rss_connected,
        fanout_rss_after_load_kib: rss_after_load,
        bytes_per_connection: rss_connected.saturating_sub(rss_before) as f64 * 1024.0
            / size.devices as f64,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Why a step is the last of the rising ones.
enum Last {
    /// Devices were disconnected or told to resync: later steps would not be comparable.
    Broken(String),
    /// Over the latency limit, deliveries missing or pushes refused: worth narrowing.
    OverLimit(String),
    /// The pushes could not reach the offered rate: the limit is on the push side.
    Unreached(String),
}

/// Rising steps until one is the last, then the refinements; returns the steps and why
/// the rising ones ended.
async fn ramp(load: &Load<'_>, seconds: f64) -> (Vec<FanoutStep>, String) {
    let mut steps = Vec::new();
    let (mut good, mut rate) = (0.0, FIRST_RATE);
    for number in 1..=MAX_RISING_STEPS {
        let step = timed_step(load, number, rate, seconds).await;
        let last = why_last(&step, &load.tally);
        steps.push(step);
        match last {
            None => (good, rate) = (rate, rate * GROWTH),
            Some(Last::OverLimit(reason)) => {
                refine(load, &mut steps, (good, rate), seconds).await;
                return (steps, reason);
            }
            Some(Last::Broken(reason) | Last::Unreached(reason)) => return (steps, reason),
        }
    }
    let reason = format!("all {MAX_RISING_STEPS} rising steps kept every limit");
    (steps, reason)
}

/// Steps halving the gap between the last rate that kept the limit and the first that
/// did not.
async fn refine(load: &Load<'_>, steps: &mut Vec<FanoutStep>, gap: (f64, f64), seconds: f64) {
    let (mut good, mut bad) = gap;
    for _ in 0..REFINEMENTS {
        let rate = (good + bad) / 2.0;
        tokio::time::sleep(RECOVERY).await;
        let step = timed_step(load, steps.len() as u32 + 1, rate, seconds).await;
        let last = why_last(&step, &load.tally);
        steps.push(step);
        match last {
            None => good = rate,
            Some(Last::OverLimit(_)) => bad = rate,
            Some(Last::Broken(_) | Last::Unreached(_)) => return,
        }
    }
}

/// A step, with its progress line on stderr.
async fn timed_step(load: &Load<'_>, number: u32, rate: f64, seconds: f64) -> FanoutStep {
    let step = fanout_step::run(load, number, rate, seconds).await;
    let ms = |latency: Option<&Latency>, pick: fn(&Latency) -> f64| latency.map_or(f64::NAN, pick);
    let (delivery, push) = (step.latency.as_ref(), step.push_latency.as_ref());
    eprintln!(
        "  step {number}: {:.0} records/s offered, {:.0} sent (push p99 {:.1} ms) → {:.0} deliveries/s; p50 {:.1} / p99 {:.1} / max {:.1} ms; {} missing",
        step.offered_records_per_second,
        step.sent_records_per_second,
        ms(push, |l| l.p99_ms),
        step.deliveries_per_second,
        ms(delivery, |l| l.p50_ms),
        ms(delivery, |l| l.p99_ms),
        ms(delivery, |l| l.max_ms),
        step.missing_deliveries,
    );
    step
}

/// Why `step` ends the rising steps, if it does.
fn why_last(step: &FanoutStep, tally: &Tally) -> Option<Last> {
    let (resyncs, disconnects) = (
        tally.resyncs.load(Ordering::Relaxed),
        tally.disconnects.load(Ordering::Relaxed),
    );
    if resyncs > 0 || disconnects > 0 {
        return Some(Last::Broken(format!(
            "devices were told to resync ({resyncs}) or disconnected ({disconnects})"
        )));
    }
    if step.failed_pushes > 0 {
        let reason = format!("ingest refused {} pushes", step.failed_pushes);
        return Some(Last::OverLimit(reason));
    }
    if step.missing_deliveries > 0 {
        return Some(Last::OverLimit(format!(
            "{} deliveries had not arrived {} s after the step",
            step.missing_deliveries,
            SETTLE_LIMIT.as_secs()
        )));
    }
    let p99 = step.latency.as_ref().map_or(f64::INFINITY, |l| l.p99_ms);
    if p99 > P99_LIMIT_MS {
        let reason = format!("the delivery p99 ({p99:.1} ms) passed {P99_LIMIT_MS} ms");
        return Some(Last::OverLimit(reason));
    }
    if step.sent_records_per_second < REACHED * step.offered_records_per_second {
        return Some(Last::Unreached(format!(
            "the pushes reached {:.0} of the {:.0} records/s offered",
            step.sent_records_per_second, step.offered_records_per_second
        )));
    }
    None
}
