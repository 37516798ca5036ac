//! `/healthz` (the process answers: liveness, depending on nothing else), `/readyz` (MySQL
//! answers: a push can be committed; NATS is reported, not required, since a push commits
//! its outbox rows and they are published once NATS is back) and `/metrics` (Prometheus
//! text, with the sync queue backlog read at scrape time in two index dives). See `docs/operations.md`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive", body = Object)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "MySQL answers (`nats` says whether events go out now or later)", body = Object), (status = 503, description = "MySQL does not answer within 2 s", body = Object)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mysql = shared::storage::answers(state.pool()).await;
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let status = if mysql {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(json!({"mysql": mysql, "nats": nats})))
}

#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> String {
    let mysql = shared::storage::answers(state.pool()).await;
    metrics::gauge!("possync_mysql_up").set(f64::from(u8::from(mysql)));
    // Without MySQL the gauges keep their last values, and the scrape never waits for it.
    let backlog = shared::sync_queue::backlog::backlog(state.pool());
    let backlog = match mysql {
        true => tokio::time::timeout(shared::storage::READINESS_WAIT, backlog)
            .await
            .ok(),
        false => None,
    };
    if let Some(Ok(backlog)) = backlog {
        metrics::gauge!("possync_sync_queue_backlog").set(backlog.span as f64);
        metrics::gauge!("possync_sync_queue_oldest_unpublished_seconds").set(
            backlog
                .oldest
                .map_or(0.0, shared::sync_queue::backlog::age_seconds),
        );
    }
    shared::metrics::render(&state.nats)
}
