//! Prometheus metrics: one recorder per process, and the per-request counter and timer.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (tests run several services per process).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed, in which case ours just stays unused.
        let _ = metrics::set_global_recorder(recorder);
        // Histogram samples pile up until upkeep folds them in, scraped or not.
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_secs(5));
                upkeep.run_upkeep();
            })
            .expect("a thread can be started");
        handle
    })
}

/// The text exposition of every metric.
pub fn render() -> String {
    handle().render()
}

/// Counts requests by route and status and times them (`possync_http_*`).
pub async fn track(request: Request, next: Next) -> Response {
    handle();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("possync_http_requests_total", &labels).increment(1);
    metrics::histogram!("possync_http_request_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}
