//! `GET /ws`: checks the token, device id, origin and capacity before upgrading.
//!
//! The token comes from the `Sec-WebSocket-Protocol` header (`possync.token.<JWT>` next to
//! `possync`, which browsers can send and proxies do not log), `Authorization: Bearer`, or
//! `?token=` (the contract's form, kept for clients that have nothing else); the request span
//! records the path only, so it never reaches the logs. A refusal is an HTTP answer in the
//! REST error shape, before any WebSocket exists.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shared::ids::DeviceId;
use shared::token::{bearer_token, Principal};
use shared::wire::ErrorBody;

use crate::connection::{self, Session};
use crate::devices;
use crate::state::AppState;

/// The subprotocol a device asks for when it sends its token as another one; the answer
/// selects it, never the token.
pub const SUBPROTOCOL: &str = "possync";
/// The prefix of the subprotocol entry that carries the token.
pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "possync.token.";

/// Read buffer per connection: devices send only small control messages.
const READ_BUFFER_BYTES: usize = 512;
/// Write buffer per connection before a flush.
const WRITE_BUFFER_BYTES: usize = 4096;

#[derive(Deserialize)]
pub struct WsQuery {
    token: Option<String>,
    device_id: Option<String>,
}

/// Why an upgrade is refused: a status, a stable code and a message for people.
struct Refusal(StatusCode, &'static str, String);

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Refusal(status, code, message.into())
    }

    fn unavailable(message: &str) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let Refusal(status, code, message) = self;
        (status, Json(ErrorBody::new(code, message))).into_response()
    }
}

pub async fn ws(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match admit(&state, query, &headers, upgrade).await {
        Ok(accepted) => accepted,
        Err(refusal) => refusal.into_response(),
    }
}

/// The checks, cheapest first; the database is asked only about an otherwise good request.
async fn admit(
    state: &AppState,
    query: WsQuery,
    headers: &HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, Refusal> {
    if state.closing.load(Ordering::SeqCst) {
        return Err(Refusal::unavailable("this replica is shutting down"));
    }
    check_origin(state, headers)?;
    let (principal, expires_at) = authenticate(state, query.token, headers)?;
    let device_id = DeviceId::parse(query.device_id.as_deref().unwrap_or(""))
        .map_err(|err| Refusal::new(StatusCode::BAD_REQUEST, "bad_request", err.to_string()))?;
    if state.hub.connection_count() >= state.config.ws_max_connections {
        return Err(Refusal::unavailable("this replica is full; try another"));
    }
    let upgrade = upgrade.map_err(|rejection| {
        Refusal::new(rejection.status(), "bad_request", rejection.body_text())
    })?;
    check_device(state, &principal, &device_id).await?;
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
    Ok(upgrade
        .protocols([SUBPROTOCOL])
        .max_message_size(max_inbound)
        .max_frame_size(max_inbound)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(WRITE_BUFFER_BYTES * 64)
        .on_upgrade(move |socket| connection::run(socket, session)))
}

/// Browsers send an `Origin`; when an allow-list is set it must be on it.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), Refusal> {
    let allowed = &state.config.ws_allowed_origins;
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) if !allowed.is_empty() && !allowed.iter().any(|a| a == origin) => Err(
            Refusal::new(StatusCode::FORBIDDEN, "forbidden", "origin not allowed"),
        ),
        _ => Ok(()),
    }
}

/// The caller and its token's expiry, from the subprotocol header, the bearer header or
/// `?token=`, in that order.
fn authenticate(
    state: &AppState,
    token: Option<String>,
    headers: &HeaderMap,
) -> Result<(Principal, i64), Refusal> {
    let unauthorized = |message| Refusal::new(StatusCode::UNAUTHORIZED, "unauthorized", message);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token);
    let token = subprotocol_token(headers)
        .or(bearer)
        .or(token.as_deref())
        .ok_or(unauthorized("missing token"))?;
    state
        .keys
        .verify(token)
        .and_then(|claims| Ok((claims.principal()?, claims.exp)))
        .map_err(|_| unauthorized("invalid or expired token"))
}

/// The token a browser sent as a subprotocol (`Sec-WebSocket-Protocol: possync, possync.token.<JWT>`).
fn subprotocol_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|protocol| protocol.trim().strip_prefix(TOKEN_SUBPROTOCOL_PREFIX))
}

/// The device id must be the caller's: unused (it becomes so) or bound to its client and branch.
async fn check_device(
    state: &AppState,
    principal: &Principal,
    device_id: &DeviceId,
) -> Result<(), Refusal> {
    match devices::may_use(
        &state.pool,
        &state.known_devices,
        principal,
        device_id.as_str(),
    )
    .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "device_id is registered to another client or branch",
        )),
        Err(err) => {
            tracing::warn!(error = %err, "cannot check a device id");
            Err(Refusal::unavailable("cannot check the device now; retry"))
        }
    }
}
