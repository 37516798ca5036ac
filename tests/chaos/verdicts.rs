//! What each kind of fault must keep beyond the checks of every run ([`crate::check`]):
//! pushes keep succeeding with all of NATS down; with MariaDB stopped every refused push
//! gets a 503 in the contract's error shape within the probe's 2 s deadline, and writes come
//! back by themselves; a rolling restart brings back every device it disconnected, none
//! goes without events for longer than the drain and its first reconnect wait (plus 5 s
//! for the catch-up), and no 100 ms sees more reconnects than a drain step closes; a NATS
//! connection gone half-open costs devices at most three NATS pings and a reconnect; a
//! fanout replica cut from NATS hands its devices over within its pings and the handover;
//! a partition between ingest and NATS, a NATS node and the others, or the replica and the
//! primary, or a NATS store that filled up refuses no push; a full MariaDB disk, or a dead
//! primary until its replica is promoted, refuses pushes with 503s only.

use fanout::handover::HANDOVER_AFTER;
use shared::config::NATS_PING_INTERVAL;

use crate::check::Verdict;
use crate::faults::Injected;
use crate::probe::Attempt;
use crate::report::FaultReport;

/// How fanout drains on SIGTERM (`WS_DRAIN_BATCH` sockets every `WS_DRAIN_PAUSE_MS`).
pub struct Drain {
    pub batch: usize,
    pub pause_ms: f64,
}

/// Both clients wait up to this long before their first reconnect.
const FIRST_RECONNECT_WAIT_MS: f64 = 1_000.0;

pub fn of_faults(
    verdict: &mut Verdict,
    injected: &[Injected],
    reports: &[FaultReport],
    attempts: &[Attempt],
    drain: &Drain,
) {
    for (fault, report) in injected.iter().zip(reports) {
        let name = fault.fault;
        match name {
            "nats-all-kill"
            | "nats-all-pause"
            | "nats-two-kill"
            | "ingest-nats-partition"
            | "nats-minority-partition"
            | "replica-partition"
            | "nats-disk-full" => verdict.check(
                report.refused_writes == 0,
                format!(
                    "{name}: pushes through the balancer kept succeeding ({} refused)",
                    report.refused_writes
                ),
            ),
            "mariadb-stop" => {
                let (refused, in_shape) = refused_during(attempts, fault);
                let others = other_statuses(&refused);
                let slowest = refused
                    .iter()
                    .map(|a| (a.answered - a.sent) * 1000.0)
                    .fold(0.0, f64::max);
                verdict.check(
                    !refused.is_empty() && in_shape == refused.len(),
                    format!(
                        "{name}: {in_shape} of {} pushes refused while MariaDB was stopped got a 503 with the contract's error, the slowest in {slowest:.0} ms (others: statuses {others:?}, 0 = no answer in 2 s)",
                        refused.len()
                    ),
                );
                verdict.check(
                    fault.writes_back.is_some(),
                    format!(
                        "{name}: writes acknowledged again by themselves {:.1} s after MariaDB started",
                        fault.writes_back.map_or(f64::NAN, |back| back - fault.undone)
                    ),
                );
            }
            "fanout-nats-halfopen" | "ingest-nats-halfopen" => {
                // Two pings unanswered drop the connection; the devices then hear `resync`
                // (fanout) or the publisher's retries reach NATS again (ingest).
                let allowed = 3.0 * NATS_PING_INTERVAL.as_secs_f64() * 1000.0
                    + FIRST_RECONNECT_WAIT_MS
                    + 5_000.0;
                verdict.check(
                    report.delivery_gap_max_ms <= allowed,
                    format!(
                        "{name}: the longest a device went without events, {:.0} ms, is within three NATS pings and a reconnect ({allowed:.0} ms)",
                        report.delivery_gap_max_ms
                    ),
                );
            }
            "mariadb-disk-full" | "mariadb-failover" => {
                let (refused, in_shape) = refused_during(attempts, fault);
                // A failover is undone once every service runs on the new primary; writes
                // come back before, once ingest does.
                let (since, what) = if name == "mariadb-failover" {
                    (fault.at, "the primary died")
                } else {
                    (fault.undone, "the disk was freed")
                };
                // MariaDB that crashes on the full disk (an assertion in purge, or "Out of
                // disk space in rollback") keeps its sockets open while it prints its
                // backtrace: pushes in flight then get no answer within the probe's 2 s (1
                // or 2 in a row, in 10 crashes; 5 allowed, 10 s). Any answer still has to be a
                // 503.
                let (unanswered, crash) = if fault.crashed {
                    let unanswered = refused.iter().filter(|a| a.status == 0).count().min(5);
                    let said = format!("; MariaDB crashed, {unanswered} unanswered while it died");
                    (unanswered, said)
                } else {
                    (0, String::new())
                };
                verdict.check(
                    in_shape + unanswered == refused.len() && fault.writes_back.is_some(),
                    format!(
                        "{name}: {in_shape} of {} refused pushes got a 503 with the contract's error (others: statuses {:?}, 0 = no answer in 2 s{crash}); writes acknowledged again {:.1} s after {what}",
                        refused.len(),
                        other_statuses(&refused),
                        fault.writes_back.map_or(f64::NAN, |back| back - since)
                    ),
                );
            }
            "fanout-nats-partition" => {
                // Pings find the loss, the replica waits for NATS, looks every second, then
                // drains; a shorter partition heals before any of it.
                let handover_ms = 3.0 * NATS_PING_INTERVAL.as_secs_f64() * 1000.0
                    + HANDOVER_AFTER.as_secs_f64() * 1000.0
                    + 1_000.0;
                let held_ms = (fault.undone - fault.at) * 1000.0;
                let handed_over = held_ms < handover_ms || report.disconnected > 0;
                verdict.check(
                    handed_over && report.reconnected == report.disconnected,
                    format!(
                        "{name}: cut for {held_ms:.0} ms, the replica handed its devices over after {handover_ms:.0} ms at most; {} of {} came back",
                        report.reconnected, report.disconnected
                    ),
                );
                // Then the devices reconnect elsewhere and catch up.
                let steps = report.disconnected.div_ceil(drain.batch.max(1)) as f64;
                let allowed =
                    handover_ms + steps * drain.pause_ms + FIRST_RECONNECT_WAIT_MS + 5_000.0;
                verdict.check(
                    report.delivery_gap_max_ms <= allowed,
                    format!(
                        "{name}: the longest a device went without events, {:.0} ms, is within three NATS pings, the handover and a reconnect ({allowed:.0} ms)",
                        report.delivery_gap_max_ms
                    ),
                );
            }
            "fanout-rolling" | "ingest-rolling" => {
                verdict.check(
                    report.reconnected == report.disconnected,
                    format!(
                        "{name}: {} of {} devices it disconnected came back",
                        report.reconnected, report.disconnected
                    ),
                );
                // Drain steps for every device dropped (the replicas drain one after another,
                // so this allows more than one replica's drain takes).
                let steps = report.disconnected.div_ceil(drain.batch.max(1)) as f64;
                let allowed = steps * drain.pause_ms + FIRST_RECONNECT_WAIT_MS + 5_000.0;
                verdict.check(
                    report.delivery_gap_max_ms <= allowed,
                    format!(
                        "{name}: the longest a device went without events, {:.0} ms, is within the drain and a reconnect ({allowed:.0} ms)",
                        report.delivery_gap_max_ms
                    ),
                );
                verdict.check(
                    report.reconnect_peak_per_100ms <= drain.batch,
                    format!(
                        "{name}: at most {} reconnects in 100 ms, a drain step closes {}",
                        report.reconnect_peak_per_100ms, drain.batch
                    ),
                );
            }
            _ => {}
        }
    }
}

/// The probe's pushes refused while `fault` held, and how many of them got a 503 in the
/// contract's error shape.
fn refused_during<'a>(attempts: &'a [Attempt], fault: &Injected) -> (Vec<&'a Attempt>, usize) {
    let refused: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| !a.ok && a.sent >= fault.at && a.sent <= fault.undone)
        .collect();
    let in_shape = refused
        .iter()
        .filter(|a| a.status == 503 && a.error_shape)
        .count();
    (refused, in_shape)
}

/// The statuses of `refused` other than a 503 in the contract's shape, once each.
fn other_statuses(refused: &[&Attempt]) -> Vec<u16> {
    let mut others: Vec<u16> = refused
        .iter()
        .filter(|a| !(a.status == 503 && a.error_shape))
        .map(|a| a.status)
        .collect();
    others.sort_unstable();
    others.dedup();
    others
}
