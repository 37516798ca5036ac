//! fanout: possync's WebSocket server, relaying NATS change subjects to device rooms.
//!
//! This foundation serves health and readiness; the `/ws` relay is built on it next (see
//! the fanout issue). [`Application::build`] binds, [`Application::run_until_stopped`] serves.

use std::net::SocketAddr;

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use shared::config::{HttpConfig, JwtConfig, LogConfig, NatsConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Port fanout listens on unless `BIND_ADDR` says otherwise.
pub const DEFAULT_PORT: u16 = 3001;

#[derive(Debug, Clone, Parser)]
#[command(name = "fanout", about = "possync WebSocket fan-out")]
pub struct Config {
    #[command(flatten)]
    pub http: HttpConfig,
    #[command(flatten)]
    pub nats: NatsConfig,
    #[command(flatten)]
    pub jwt: JwtConfig,
    #[command(flatten)]
    pub log: LogConfig,
}

#[derive(Clone)]
pub struct AppState {
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
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let status = if nats {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(serde_json::json!({"nats": nats})))
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        shared::token::TokenKeys::new(&config.jwt)?;
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
            state: AppState { nats },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "fanout listening");
        let nats = self.state.nats.clone();
        axum::serve(shared::telemetry::no_delay(self.listener), app(self.state))
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await?;
        let _ = nats.drain().await;
        Ok(())
    }
}
