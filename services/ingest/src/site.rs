//! A built web app (the POS web demo's `dist/`) served by ingest next to the API, as a PWA
//! needs it in production: Vite's content-hashed `/assets/*` cached for a year and never
//! revalidated; everything else (`index.html`, `sw.js`, the manifest, icons) revalidated on
//! every load, so a new release reaches a till at its next reload and its service worker
//! updates; an address of the app that is not a file answers `index.html`; `/api/…` stays
//! the API's (an unknown route is its JSON 404, never the page).

use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;

/// What Vite names by content: a changed file gets a new name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Revalidated on every load (a 304 when unchanged).
const REVALIDATE: &str = "no-cache";

/// Fails unless `root` holds the app's `index.html`.
pub fn check(root: &Path) -> anyhow::Result<()> {
    let index = root.join("index.html");
    anyhow::ensure!(
        index.is_file(),
        "WEB_ROOT {}: no index.html there (build the app first)",
        root.display()
    );
    Ok(())
}

/// `api` with the app in `root` answering what the API does not.
pub fn serve(api: Router, root: &Path) -> Router {
    let index = ServeFile::new(root.join("index.html"));
    let site = Router::new()
        .route(
            "/api/{*rest}",
            any(|| async { ApiError::NotFound("no such route".into()) }),
        )
        .nest_service("/assets", ServeDir::new(root.join("assets")))
        .fallback_service(ServeDir::new(root).fallback(index))
        .layer(middleware::from_fn(caching));
    api.fallback_service(site)
}

async fn caching(request: Request, next: Next) -> Response {
    let policy = if request.uri().path().starts_with("/assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut response = next.run(request).await;
    let cacheable = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    if cacheable && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
