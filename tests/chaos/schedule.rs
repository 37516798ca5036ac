//! The random schedule: faults drawn with a seed (printed, so a run can be replayed), each
//! started at a drawn moment of a span so that faults of different roles overlap (never two
//! on one role at once, nor a MariaDB fault during a failover), and held for a drawn time: a few seconds, or with long holds past
//! the devices' heartbeat allowance (fanout pings every 30 s and waits 10 s for the pong)
//! or past the stream's 120 s duplicate window.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::faults::{Durations, Fault, Injected, Injector};

/// Past the heartbeat allowance: 30 s of ping interval and 10 s of pong timeout.
const PAST_HEARTBEAT: Duration = Duration::from_secs(45);
/// Past the stream's duplicate window (`nats/nats-server.conf`, 120 s).
const PAST_DUPLICATE_WINDOW: Duration = Duration::from_secs(130);
/// Time a role stays out of the draw after a fault's hold: restarts, catching up.
const AFTER_HOLD: Duration = Duration::from_secs(10);

/// One fault of the schedule.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub fault: Fault,
    pub start: Duration,
    pub hold: Duration,
}

/// What to draw.
pub struct Plan<'a> {
    pub seed: u64,
    pub faults: &'a [Fault],
    pub count: usize,
    pub span: Duration,
    pub long_holds: bool,
}

/// Draws the schedule, in start order.
pub fn draw(plan: &Plan<'_>) -> Vec<Step> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut steps: Vec<Step> = Vec::new();
    let span = plan.span.as_secs_f64().max(1.0);
    for _ in 0..plan.count {
        // A few tries for a moment when the role is free; a crowded span gets fewer faults.
        for _ in 0..50 {
            let fault = plan.faults[rng.gen_range(0..plan.faults.len())];
            let start = Duration::from_secs_f64(rng.gen_range(0.0..span));
            let hold = match (plan.long_holds, rng.gen_range(0..20)) {
                (true, 0..=2) => PAST_DUPLICATE_WINDOW,
                (true, 3..=7) => PAST_HEARTBEAT,
                _ => Duration::from_secs_f64(rng.gen_range(2.0..8.0)),
            };
            let busy = |other: &Step| {
                other.fault.collides_with(&fault)
                    && start < other.start + other.hold + AFTER_HOLD
                    && other.start < start + hold + AFTER_HOLD
            };
            if !steps.iter().any(busy) {
                steps.push(Step { fault, start, hold });
                break;
            }
        }
    }
    steps.sort_by_key(|step| step.start);
    steps
}

/// Runs `steps`, each at its moment (from now) alongside the others; returns what was
/// injected, in order. A fault that cannot be injected in the state the others left (a
/// half-open connection to a NATS that is down) is reported and skipped.
pub async fn run(injector: Arc<Injector>, steps: &[Step]) -> Vec<Injected> {
    let tasks: Vec<_> = steps
        .iter()
        .enumerate()
        .map(|(round, step)| {
            let (injector, step) = (injector.clone(), *step);
            tokio::spawn(async move {
                tokio::time::sleep(step.start).await;
                let durations = Durations {
                    hold: step.hold,
                    outage: step.hold,
                };
                let injected = injector.inject(step.fault, round, durations).await;
                if let Err(err) = &injected {
                    eprintln!("  {:<22} skipped: {err:#}", step.fault.name);
                }
                injected.ok()
            })
        })
        .collect();
    let mut injected = Vec::new();
    for task in tasks {
        if let Ok(Some(done)) = task.await {
            injected.push(done);
        }
    }
    injected.sort_by(|a, b| a.at.total_cmp(&b.at));
    injected
}

/// The schedule as one line per fault, for the log.
pub fn describe(seed: u64, steps: &[Step]) -> String {
    let mut text = format!("random schedule, seed {seed} (--seed {seed} replays it):");
    for step in steps {
        text.push_str(&format!(
            "\n  at {:>6.1} s  {:<22} held {:.1} s",
            step.start.as_secs_f64(),
            step.fault.name,
            step.hold.as_secs_f64()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::ALL;

    fn plan(seed: u64, long_holds: bool) -> Vec<Step> {
        draw(&Plan {
            seed,
            faults: &ALL,
            count: 12,
            span: Duration::from_secs(300),
            long_holds,
        })
    }

    #[test]
    fn a_seed_replays_its_schedule_and_faults_of_one_role_never_overlap() {
        let (once, again) = (plan(7, true), plan(7, true));
        let names = |steps: &[Step]| {
            steps
                .iter()
                .map(|s| (s.fault.name, s.start))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&once), names(&again));
        assert_ne!(names(&once), names(&plan(8, true)));
        for (i, a) in once.iter().enumerate() {
            for b in &once[i + 1..] {
                let apart = b.start >= a.start + a.hold + AFTER_HOLD;
                assert!(!a.fault.collides_with(&b.fault) || apart, "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn long_holds_reach_past_the_heartbeat_and_the_duplicate_window_and_faults_overlap() {
        let mut held = Vec::new();
        let mut overlapping = 0;
        for seed in 0..20 {
            let steps = plan(seed, true);
            held.extend(steps.iter().map(|s| s.hold));
            overlapping += steps
                .windows(2)
                .filter(|w| w[1].start < w[0].start + w[0].hold)
                .count();
        }
        assert!(held.contains(&PAST_HEARTBEAT) && held.contains(&PAST_DUPLICATE_WINDOW));
        assert!(overlapping > 0, "faults of different roles overlap");
        assert!(plan(3, false).iter().all(|s| s.hold < PAST_HEARTBEAT));
    }
}
