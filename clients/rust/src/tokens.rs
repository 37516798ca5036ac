//! The session's tokens: the access token, the refresh token and when they run out.

use std::time::{Duration, Instant};

/// What the last login or refresh answered.
pub(crate) struct Tokens {
    pub access: String,
    pub refresh: String,
    pub expires_at: Instant,
    pub lifetime: Duration,
}

impl Tokens {
    /// Refreshed this long before expiry: a minute, or a third of a shorter lifetime.
    pub fn margin(&self) -> Duration {
        (self.lifetime / 3).min(Duration::from_secs(60))
    }
}
