//! `GET /ws`: checks the token, device id, origin and capacity before upgrading.
//!
//! The token comes from `?token=` or `Authorization: Bearer`; the request span records the
//! path only, so it never reaches the logs.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shared::ids::DeviceId;
use shared::token::bearer_token;
use shared::wire::ErrorBody;

use crate::connection::{self, Session};
use crate::AppState;

/// Read buffer per connection: devices send only small control messages.
const READ_BUFFER_BYTES: usize = 512;
/// Write buffer per connection before a flush.
const WRITE_BUFFER_BYTES: usize = 4096;

#[derive(Deserialize)]
pub struct WsQuery {
    token: Option<String>,
    device_id: Option<String>,
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(ErrorBody::new(code, message))).into_response()
}

pub async fn ws(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if state.draining.load(Ordering::SeqCst) {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this replica is shutting down",
        );
    }
    let allowed = &state.config.ws_allowed_origins;
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        if !allowed.is_empty() && !allowed.iter().any(|a| a == origin) {
            return refuse(StatusCode::FORBIDDEN, "forbidden", "origin not allowed");
        }
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token)
        .map(str::to_owned);
    let Some(token) = query.token.or(bearer) else {
        return refuse(StatusCode::UNAUTHORIZED, "unauthorized", "missing token");
    };
    let Ok((principal, expires_at)) = state
        .keys
        .verify(&token)
        .and_then(|c| Ok((c.principal()?, c.exp)))
    else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "invalid or expired token",
        );
    };
    let device_id = match DeviceId::parse(query.device_id.as_deref().unwrap_or("")) {
        Ok(device_id) => device_id,
        Err(err) => return refuse(StatusCode::BAD_REQUEST, "bad_request", &err.to_string()),
    };
    if state.hub.connection_count() >= state.config.ws_max_connections {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this replica is full; try another",
        );
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return refuse(rejection.status(), "bad_request", &rejection.body_text()),
    };
    let session = Session {
        hub: state.hub.clone(),
        keys: state.keys.clone(),
        config: state.config.clone(),
        principal,
        expires_at,
        device_id: Arc::from(device_id.as_str()),
        conn: state.next_conn.fetch_add(1, Ordering::Relaxed),
    };
    let max_inbound = state.config.ws_max_inbound_bytes;
    upgrade
        .max_message_size(max_inbound)
        .max_frame_size(max_inbound)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(WRITE_BUFFER_BYTES * 64)
        .on_upgrade(move |socket| connection::run(socket, session))
}
