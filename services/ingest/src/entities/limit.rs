//! Requests per minute per user on the entity routes (the sync endpoints are exempt).
//!
//! The user comes from the verified bearer token; requests without a valid token pass
//! through to be refused with 401 by their handler. The quota is kept by `governor` (GCRA)
//! in this process, so with several ingest replicas each allows the full quota.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use shared::token::TokenKeys;

use crate::error::ApiError;

/// The per-user limiter and the keys that identify users.
#[derive(Clone)]
pub struct UserLimit {
    limiter: Arc<DefaultKeyedRateLimiter<u64>>,
    keys: TokenKeys,
}

impl UserLimit {
    pub fn per_minute(requests: u32, keys: TokenKeys) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(requests.max(1)).expect("at least 1"));
        UserLimit {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            keys,
        }
    }
}

pub async fn enforce(State(limit): State<UserLimit>, request: Request, next: Next) -> Response {
    let user = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| limit.keys.verify(token.trim()).ok())
        .and_then(|claims| claims.principal().ok());
    if let Some(user) = user {
        if let Err(not_until) = limit.limiter.check_key(&user.user_id) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return ApiError::TooManyRequests(wait).into_response();
        }
    }
    next.run(request).await
}
