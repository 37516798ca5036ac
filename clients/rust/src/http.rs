//! Calls to ingest with retries: network errors and 5xx are retried with exponential
//! backoff and jitter; a 4xx is never retried (401 once, after a token refresh, by the caller).
//! An answer in zstd (a pull page, when the client asks for one) is unpacked before it is
//! read; a large one is read off the async threads.

use std::time::Duration;

use rand::Rng;
use reqwest::header::CONTENT_ENCODING;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How often and how patiently to retry.
#[derive(Debug, Clone)]
pub struct Retry {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 6,
            base: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

impl Retry {
    /// The realtime socket's reconnects: the first after a random wait of up to 1 s, so the
    /// devices of a fanout replica that went away come back spread over a second rather than
    /// at once (each then pulls), doubling up to 10 s while the server stays away.
    pub fn reconnect() -> Retry {
        Retry {
            attempts: u32::MAX,
            base: Duration::from_millis(500),
            max: Duration::from_secs(10),
        }
    }

    /// Full jitter: a random wait up to `base · 2^attempt`, capped at `max`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max);
        ceiling.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The server could not be reached (or answered 5xx) after every retry: offline.
    #[error("server unreachable: {0}")]
    Offline(String),
    /// The server refused the request; retrying the same request cannot help.
    #[error("refused with {status}: {body}")]
    Refused { status: StatusCode, body: String },
}

impl CallError {
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            CallError::Refused { status, .. } => Some(*status),
            CallError::Offline(_) => None,
        }
    }
}

/// Sends a JSON request, retrying as [`Retry`] says.
pub async fn call<T: DeserializeOwned + Send + 'static>(
    http: &reqwest::Client,
    retry: &Retry,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&(impl Serialize + Sync)>,
) -> Result<T, CallError> {
    let mut last = String::new();
    for attempt in 0..retry.attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(retry.delay(attempt)).await;
        }
        let mut request = http.request(method.clone(), url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        match request.send().await {
            Err(err) => last = err.to_string(),
            Ok(response) if response.status().is_server_error() => {
                last = format!("status {}", response.status())
            }
            Ok(response) if !response.status().is_success() => {
                let status = response.status();
                return Err(CallError::Refused {
                    status,
                    body: response.text().await.unwrap_or_default(),
                });
            }
            Ok(response) => return read_json(response).await.map_err(CallError::Offline),
        }
    }
    Err(CallError::Offline(last))
}

/// Answers larger than this are unpacked and parsed on a blocking thread.
const LARGE_ANSWER: usize = 256 * 1024;

/// The answer's JSON; a body cut short (the server or the network failed mid-page) is an
/// error like a lost connection.
async fn read_json<T: DeserializeOwned + Send + 'static>(
    response: reqwest::Response,
) -> Result<T, String> {
    let zstd = response
        .headers()
        .get(CONTENT_ENCODING)
        .is_some_and(|encoding| encoding == "zstd");
    let body = response.bytes().await.map_err(|err| err.to_string())?;
    let size = body.len();
    let parse = move || {
        let parsed = if zstd {
            let plain = zstd::decode_all(&body[..]).map_err(|err| err.to_string())?;
            serde_json::from_slice(&plain)
        } else {
            serde_json::from_slice(&body)
        };
        parsed.map_err(|err| err.to_string())
    };
    if size < LARGE_ANSWER {
        return parse();
    }
    tokio::task::spawn_blocking(parse)
        .await
        .map_err(|err| err.to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_up_to_the_cap_with_jitter() {
        let retry = Retry {
            attempts: 5,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        for attempt in 0..10 {
            let ceiling = Duration::from_millis(100)
                .saturating_mul(2u32.pow(attempt))
                .min(Duration::from_secs(1));
            assert!(retry.delay(attempt) <= ceiling);
        }
        let spread: std::collections::HashSet<_> = (0..20).map(|_| retry.delay(3)).collect();
        assert!(spread.len() > 1, "jitter varies the delay");
    }
}
