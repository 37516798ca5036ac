//! janitor: keeps the sync queue small and relays changes whose publish never happened.
//!
//! Layout:
//! - [`config`]: flags and environment.
//! - [`sweep`]: one sweep ([`sweep::Sweeper::sweep_once`]) and the loop around it.
//! - [`relay`]: overdue unpublished groups to JetStream, claimed with `SKIP LOCKED`.
//! - [`retention`]: deletion of old published groups and their rows, and of old edit ids,
//!   in small batches.
//!
//! The statements on the sync queue itself are `shared::sync_queue`'s.
//!
//! [`Application::build`] binds the health/metrics listener; [`Application::run_until_stopped`]
//! sweeps and serves until stopped.

pub mod config;
pub mod relay;
pub mod retention;
pub mod sweep;

use std::net::SocketAddr;

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use shared::config::NatsConfig;
use shared::stranded::Probe;
use shared::subject::Subjects;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use crate::config::Config;
use crate::config::DEFAULT_PORT;
use crate::sweep::Sweeper;

pub fn app(sweeper: Sweeper) -> Router {
    let routes =
        Router::new()
            .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
            .route("/readyz", get(readyz))
            .route(
                "/metrics",
                get(|State(sweeper): State<Sweeper>| async move {
                    shared::metrics::render(&sweeper.nats)
                }),
            )
            .with_state(sweeper);
    shared::telemetry::with_http_layers(routes)
}

async fn readyz(State(sweeper): State<Sweeper>) -> (StatusCode, Json<Value>) {
    let mysql = shared::storage::answers(&sweeper.pool).await;
    let nats = sweeper.nats.connection_state() == async_nats::connection::State::Connected;
    let status = if mysql && nats {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(json!({"mysql": mysql, "nats": nats})))
}

/// Connects to MySQL (migrating) and NATS (in the background if it is down).
pub async fn sweeper(config: &Config) -> anyhow::Result<Sweeper> {
    let pool = shared::storage::connect(&config.database, shared::storage::Traffic::Light).await?;
    let nats = NatsConfig::connect_options()
        .connect(config.nats.servers())
        .await
        .context("invalid NATS_URL")?;
    Ok(Sweeper {
        pool,
        nats,
        nats_config: config.nats.clone(),
        subjects: Subjects::new(&config.nats.nats_subject_prefix)?,
        config: config.sweep.clone(),
    })
}

/// One sweep for an operator (`janitor --once`): waits up to 5 s for NATS, then sweeps.
pub async fn sweep_now(config: &Config) -> anyhow::Result<sweep::Report> {
    let sweeper = sweeper(config).await?;
    for _ in 0..50 {
        if sweeper.nats.connection_state() == async_nats::connection::State::Connected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    sweeper.sweep_once().await
}

pub struct Application {
    listener: TcpListener,
    sweeper: Sweeper,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        shared::metrics::install();
        let sweeper = sweeper(&config).await?;
        let addr = config.http.addr_or(DEFAULT_PORT);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        Ok(Self { listener, sweeper })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Sweeps on the interval and serves health until `shutdown`; the sweep in progress
    /// finishes its transaction, then NATS is drained.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "janitor listening");
        let nats = self.sweeper.nats.clone();
        tokio::spawn(shared::clock::follow_database(
            self.sweeper.pool.clone(),
            shutdown.clone(),
        ));
        tokio::spawn(shared::stranded::watch(
            nats.clone(),
            Probe::of(&self.sweeper.nats_config),
            self.sweeper.pool.clone(),
            shutdown.clone(),
        ));
        let sweeping = tokio::spawn(self.sweeper.clone().run(shutdown.clone()));
        let listener = shared::telemetry::no_delay(self.listener);
        axum::serve(listener, app(self.sweeper))
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await?;
        sweeping.await?;
        let _ = nats.drain().await;
        Ok(())
    }
}
