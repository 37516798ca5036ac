//! The run's clock: every moment the suite notes is seconds since the run began.

use std::time::Instant;

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
