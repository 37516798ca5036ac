//! Prometheus metrics: one recorder per process, and the per-request counter and timer.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Buckets of every `*_seconds` histogram, so replicas' latencies add up in Prometheus
/// (`histogram_quantile` over `_bucket`); other histograms stay per-process summaries.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder. Each service calls it first when it is built: a metric
/// handle taken before the recorder is installed stays a no-op for good.
pub fn install() {
    handle();
}

/// The process's recorder, installed on first use (tests run several services per process).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
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

/// The text exposition of every metric, with `possync_nats_connected` (1 or 0) read now.
pub fn render(nats: &async_nats::Client) -> String {
    let connected = nats.connection_state() == async_nats::connection::State::Connected;
    metrics::gauge!("possync_nats_connected").set(f64::from(u8::from(connected)));
    handle().render()
}

/// Counts requests by route and status and times them (`possync_http_*`).
pub async fn track(request: Request, next: Next) -> Response {
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
