//! `/healthz` (the process answers), `/readyz` (MySQL and NATS are reachable) and
//! `/metrics` (Prometheus text, with the sync queue backlog read at scrape time).

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

#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "MySQL and NATS reachable", body = Object), (status = 503, description = "MySQL or NATS unreachable", body = Object)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mysql = sqlx::query("SELECT 1").execute(state.pool()).await.is_ok();
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let status = if mysql && nats {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(json!({"mysql": mysql, "nats": nats})))
}

#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> String {
    if let Ok(backlog) = shared::sync_queue::backlog::unpublished(state.pool()).await {
        metrics::gauge!("possync_sync_queue_backlog").set(backlog as f64);
    }
    shared::metrics::render()
}
