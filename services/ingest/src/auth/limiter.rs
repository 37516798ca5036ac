//! Failed-login limits per account and per address.
//!
//! Only failures count, and a successful login clears its account's count and its
//! address's, so a shop whose tills all log in from one address is locked out only by `max`
//! failures in a row with no success between them: that is guessing, not typing. A guesser
//! who knows one password can clear its address but not the accounts it guesses at, each
//! still allowed `max` failures per `window` from anywhere. After `max` failures a key is
//! refused (429) until `window` has passed since its last failure. Counts live in this
//! process: with several ingest replicas each keeps its own, which multiplies the allowance
//! by the replica count at most.

use std::time::{Duration, Instant};

use moka::sync::Cache;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Counts recent failures for one kind of key (account names, or addresses).
#[derive(Clone)]
pub struct FailureLimiter {
    failures: Cache<String, Failures>,
    max: u32,
    window: Duration,
}

impl FailureLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        let failures = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(window)
            .build();
        Self {
            failures,
            max: max.max(1),
            window,
        }
    }

    /// How long `key` must still wait, if it is locked out.
    pub fn retry_after(&self, key: &str) -> Option<Duration> {
        let entry = self.failures.get(key)?;
        let elapsed = entry.last.elapsed();
        (entry.count >= self.max && elapsed < self.window).then(|| self.window - elapsed)
    }

    pub fn record_failure(&self, key: &str) {
        self.failures.entry(key.to_owned()).and_upsert_with(|old| {
            let count = old.map_or(0, |entry| entry.value().count);
            Failures {
                count: count + 1,
                last: Instant::now(),
            }
        });
    }

    pub fn clear(&self, key: &str) {
        self.failures.invalidate(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_locked_after_max_failures_and_others_are_not() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            limiter.record_failure("alice");
        }
        assert_eq!(limiter.retry_after("alice"), None);
        limiter.record_failure("alice");
        let wait = limiter
            .retry_after("alice")
            .expect("locked after 3 failures");
        assert!(wait > Duration::from_secs(55) && wait <= Duration::from_secs(60));
        assert_eq!(limiter.retry_after("bob"), None);
        limiter.clear("alice");
        assert_eq!(limiter.retry_after("alice"), None);
    }
}
