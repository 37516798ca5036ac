//! The sync API: `/api/sync/batch-push`, `pull-changes`, `resolve-conflict` and `stats`.

pub mod cursor;
pub mod decide;
pub mod incoming;
pub mod pull;
pub mod push;
pub mod resolve;
pub mod stats;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sync/batch-push", post(push::batch_push))
        .route("/api/sync/pull-changes", get(pull::pull_changes))
        .route(
            "/api/sync/resolve-conflict",
            post(resolve::resolve_conflict),
        )
        .route("/api/sync/stats", get(stats::stats))
}
