//! The run's clock: every moment the suite notes is seconds since the run began; and the
//! ticks the tills and the probe act on.

use std::time::{Duration, Instant};

use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy)]
pub struct Timeline(Instant);

impl Timeline {
    pub fn start() -> Timeline {
        Timeline(Instant::now())
    }

    pub fn now(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// A tick every `every` (a late one is not made up) until `stop`.
pub struct Ticks {
    interval: Interval,
    stop: CancellationToken,
}

impl Ticks {
    pub fn new(every: Duration, stop: CancellationToken) -> Ticks {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ticks { interval, stop }
    }

    /// Waits for the next tick; false once `stop` is cancelled.
    pub async fn next(&mut self) -> bool {
        tokio::select! {
            _ = self.stop.cancelled() => false,
            _ = self.interval.tick() => true,
        }
    }
}
