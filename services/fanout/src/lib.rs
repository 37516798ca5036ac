//! fanout: possync's WebSocket server, relaying NATS change subjects to device rooms.
//!
//! Layout:
//! - [`config`]: flags and environment.
//! - [`upgrade`]: `GET /ws`, the checks before a connection is accepted.
//! - [`devices`]: device ids bound to one client and branch, as pushes bind them.
//! - [`connection`]: one device's loop (events, control messages, heartbeat, expiry).
//! - [`closing`]: close codes and the closing handshake.
//! - [`hub`]: rooms, members and the NATS subscriptions that feed them.
//! - [`recent`]: the message ids a room relayed lately (a retried publish goes out once).
//! - [`monitor`]: resync requests when NATS may have dropped events.
//! - [`handover`]: devices sent to other replicas when this one is cut from NATS.
//! - [`state`]: what every handler shares.
//!
//! [`Application::build`] binds, [`Application::run_until_stopped`] serves and drains.

pub mod closing;
pub mod config;
pub mod connection;
pub mod devices;
pub mod handover;
pub mod hub;
pub mod monitor;
pub mod recent;
pub mod state;
pub mod upgrade;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use shared::config::NatsConfig;
use shared::stranded::Probe;
use shared::subject::Subjects;
use shared::token::TokenKeys;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use crate::config::Config;
use crate::config::DEFAULT_PORT;
use crate::hub::Hub;
use crate::state::AppState;

pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .route("/ws", get(upgrade::ws))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state);
    shared::telemetry::with_http_layers(routes)
}

/// Ready while it can relay events (NATS) and is not draining. MySQL is reported (as the
/// background check last saw it, so the answer never waits), not required: without it the
/// devices this replica has seen still get in, which room affinity makes most of the
/// devices that come to it (`docs/operations.md`).
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mysql = state.mysql_up.load(Ordering::Relaxed);
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let draining = state.draining.load(Ordering::SeqCst);
    let status = if nats && !draining {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({"mysql": mysql, "nats": nats, "draining": draining});
    (status, Json(body))
}

async fn metrics(State(state): State<AppState>) -> String {
    metrics::gauge!("possync_ws_max_connections").set(state.config.ws_max_connections as f64);
    shared::metrics::render(&state.nats)
}

/// How often fanout checks that MySQL answers, for `/readyz`.
const MYSQL_CHECK_EVERY: Duration = Duration::from_secs(1);

async fn watch_mysql(state: AppState, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(MYSQL_CHECK_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let up = shared::storage::answers(&state.pool).await;
        state.mysql_up.store(up, Ordering::Relaxed);
    }
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    probe: Probe,
}

impl Application {
    /// Checks the secret, connects to NATS (in the background if it is down) and binds;
    /// MySQL is reached on the first upgrade.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        shared::metrics::install();
        let keys = TokenKeys::new(&config.jwt)?;
        let pool = shared::storage::connect_lazy(&config.database, shared::storage::Traffic::Light)
            .context("invalid DATABASE_URL")?;
        let subjects = Subjects::new(&config.nats.nats_subject_prefix)?;
        let (events, watched) = tokio::sync::mpsc::unbounded_channel();
        let nats = NatsConfig::connect_options()
            .event_callback(move |event| {
                let events = events.clone();
                async move {
                    let _ = events.send(event);
                }
            })
            .connect(config.nats.servers())
            .await
            .context("invalid NATS_URL")?;
        let hub = Hub::new(nats.clone(), subjects);
        tokio::spawn(monitor::watch(watched, hub.clone()));
        let addr = config.http.addr_or(DEFAULT_PORT);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let probe = Probe::of(&config.nats);
        let state = AppState {
            nats,
            pool,
            hub,
            known_devices: Arc::default(),
            mysql_up: Arc::default(),
            keys,
            config: Arc::new(config.socket),
            draining: Arc::default(),
            closing: Arc::default(),
            next_conn: Arc::default(),
        };
        Ok(Self {
            listener,
            state,
            probe,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown`; then readiness turns false, and `WS_DRAIN_DELAY_MS` later new
    /// upgrades are refused, the connections are closed with "going away" in paced batches,
    /// and NATS is drained.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "fanout listening");
        tokio::spawn(watch_mysql(self.state.clone(), shutdown.clone()));
        tokio::spawn(handover::watch(self.state.clone(), shutdown.clone()));
        tokio::spawn(shared::stranded::watch(
            self.state.nats.clone(),
            self.probe,
            self.state.pool.clone(),
            shutdown.clone(),
        ));
        let state = self.state.clone();
        let drained = async move {
            shutdown.cancelled().await;
            state.draining.store(true, Ordering::SeqCst);
            let delay = Duration::from_millis(state.config.ws_drain_delay_ms);
            tracing::info!(
                delay_ms = state.config.ws_drain_delay_ms,
                "not ready; draining after the delay"
            );
            tokio::time::sleep(delay).await;
            state.closing.store(true, Ordering::SeqCst);
            let pause = Duration::from_millis(state.config.ws_drain_pause_ms);
            tracing::info!(connections = state.hub.connection_count(), "draining");
            state.hub.drain(state.config.ws_drain_batch, pause).await;
        };
        let nats = self.state.nats.clone();
        let listener = shared::telemetry::no_delay(self.listener);
        axum::serve(listener, app(self.state))
            .with_graceful_shutdown(drained)
            .await?;
        if let Err(err) = nats.drain().await {
            tracing::warn!(error = %err, "NATS drain failed");
        }
        Ok(())
    }
}
