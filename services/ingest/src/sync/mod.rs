//! The sync API: `/api/sync/batch-push`, `pull-changes`, `resolve-conflict`, `stats` and
//! `checksums`.

pub mod checksums;
pub mod cursor;
pub mod incoming;
pub mod pull;
pub mod push;
pub mod resolve;
pub mod stats;

use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::{CompressionLayer, CompressionLevel};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sync/batch-push", post(push::batch_push))
        .route(
            "/api/sync/pull-changes",
            get(pull::pull_changes).layer(pull_compression()),
        )
        .route(
            "/api/sync/resolve-conflict",
            post(resolve::resolve_conflict),
        )
        .route("/api/sync/stats", get(stats::stats))
        .route("/api/sync/checksums", get(checksums::checksums))
}

/// Pull pages are compressed when the device asks (`Accept-Encoding: zstd` or `gzip`) at the
/// fastest level: a page of records is mostly repeated keys, and the fastest level keeps
/// the stream's pace (figures in docs/sync.md, "Page cost").
fn pull_compression() -> CompressionLayer {
    CompressionLayer::new().quality(CompressionLevel::Fastest)
}
