//! CORS for browsers on another origin (`CORS_ALLOWED_ORIGINS`); none configured, none sent.
//!
//! The layer wraps the whole router, so a preflight is answered before any route: it needs
//! no token and does not count against the per-user entity limit.

use std::time::Duration;

use anyhow::Context;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::Method;
use axum::response::Response;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may reuse a preflight answer (Chromium caps it at two hours).
const MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// The headers a preflight or a response from a refused origin would otherwise still carry.
const ALLOWED_ORIGIN_ONLY: [HeaderName; 4] = [
    header::ACCESS_CONTROL_ALLOW_METHODS,
    header::ACCESS_CONTROL_ALLOW_HEADERS,
    header::ACCESS_CONTROL_MAX_AGE,
    header::ACCESS_CONTROL_EXPOSE_HEADERS,
];

/// The CORS layer for `origins` (e.g. `http://127.0.0.1:3003`); `None` when the list is empty.
pub fn layer(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    let origins = origins
        .iter()
        .map(|origin| origin.trim().trim_end_matches('/'))
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            HeaderValue::from_str(origin)
                .with_context(|| format!("invalid origin {origin:?} in CORS_ALLOWED_ORIGINS"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if origins.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::HeaderName::from_static("x-device-id"),
                header::HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([header::RETRY_AFTER, header::ETAG])
            .max_age(MAX_AGE),
    ))
}

/// `router` behind `cors` (if any). A request from an origin not on the list gets no
/// `Access-Control-*` header at all, not just no `Access-Control-Allow-Origin`.
pub fn wrap(router: Router, cors: Option<CorsLayer>) -> Router {
    match cors {
        Some(cors) => router
            .layer(cors)
            .layer(axum::middleware::map_response(keep_only_for_allowed)),
        None => router,
    }
}

async fn keep_only_for_allowed(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        for name in ALLOWED_ORIGIN_ONLY {
            headers.remove(name);
        }
    }
    response
}
