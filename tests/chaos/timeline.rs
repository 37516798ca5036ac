//! The run's clock: every moment the suite notes is seconds since the run began; and the
//! ticks the tills and the probe act on.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy)]
pub struct Timeline {
    started: Instant,
    /// Unix seconds at the start.
    epoch: f64,
}

impl Timeline {
    pub fn start() -> Timeline {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        Timeline {
            started: Instant::now(),
            epoch,
        }
    }

    pub fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Moment `t` of the timeline in Unix seconds (what Prometheus is asked in).
    pub fn unix(&self, t: f64) -> f64 {
        self.epoch + t
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
