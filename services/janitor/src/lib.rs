//! janitor: keeps `sync_queue` small and relays changes whose publish never happened.
//!
//! This foundation connects to MySQL (applying migrations) and NATS and serves health; the
//! retention and relay sweep is built on it next (see the janitor issue).

use std::net::SocketAddr;

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use shared::config::{DatabaseConfig, HttpConfig, LogConfig, NatsConfig};
use sqlx::MySqlPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Port janitor's health endpoints listen on unless `BIND_ADDR` says otherwise.
pub const DEFAULT_PORT: u16 = 3002;

#[derive(Debug, Clone, Parser)]
#[command(name = "janitor", about = "possync outbox relay and queue retention")]
pub struct Config {
    #[command(flatten)]
    pub http: HttpConfig,
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub nats: NatsConfig,
    #[command(flatten)]
    pub log: LogConfig,
}

#[derive(Clone)]
pub struct AppState {
    pub pool: MySqlPool,
    pub nats: async_nats::Client,
}

pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/readyz", get(readyz))
        .with_state(state);
    shared::telemetry::with_http_layers(routes)
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let mysql = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let status = if mysql && nats {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({"mysql": mysql, "nats": nats})),
    )
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let pool = shared::storage::connect(&config.database).await?;
        let nats = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(&config.nats.nats_url)
            .await
            .context("invalid NATS_URL")?;
        let addr = config.http.addr_or(DEFAULT_PORT);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        Ok(Self {
            listener,
            state: AppState { pool, nats },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "janitor listening");
        let nats = self.state.nats.clone();
        axum::serve(shared::telemetry::no_delay(self.listener), app(self.state))
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await?;
        let _ = nats.drain().await;
        Ok(())
    }
}
